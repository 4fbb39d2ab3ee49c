"""Platform push endpoints mounted under ``/hooks/`` (filled by the channel-adapter issue)."""

urlpatterns: list = []
