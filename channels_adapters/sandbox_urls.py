"""Sandbox platforms and receivers, mounted at ``/sandbox/`` only when LIUZHUAN_SANDBOX=1.

Paths mirror the real gateways: TOP ``router/rest``, JD ``routerjson``, PDD
``api/router`` and the Doudian open-API paths.
"""

from django.urls import path

from channels_adapters.sandbox import douyin, jd, pdd, taobao

urlpatterns = [
    path("taobao/router/rest", taobao.router, name="sandbox-taobao"),
    path("jd/routerjson", jd.router, name="sandbox-jd"),
    path("pdd/api/router", pdd.router, name="sandbox-pdd"),
    path("douyin/<path:path>", douyin.gateway, name="sandbox-douyin"),
]
