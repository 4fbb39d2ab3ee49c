"""Platform push endpoints mounted under ``/hooks/``."""

from django.urls import path

from channels_adapters.api import hooks

urlpatterns = [
    path("douyin/<str:shop_code>/", hooks.douyin_push, name="hook-douyin"),
]
