"""Sandbox platforms and receivers, mounted at ``/sandbox/`` only when LIUZHUAN_SANDBOX=1."""

from django.urls import path

from channels_adapters.sandbox import douyin

urlpatterns = [
    path("douyin/<path:path>", douyin.gateway, name="sandbox-douyin"),
]
