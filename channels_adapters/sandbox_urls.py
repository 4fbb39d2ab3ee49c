"""Sandbox platforms and receivers, mounted at ``/sandbox/`` only when LIUZHUAN_SANDBOX=1."""

urlpatterns: list = []
