"""In-process HTTP: platform clients and the push sender talk to this Django app directly.

``simulate --in-process`` and the tests use it instead of a running server: every
call still goes through URL routing, middleware and the real views (sandbox
gateways, ``/hooks/douyin/``), with the exact bytes and headers a socket would carry.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.test import Client

from channels_adapters.platforms import http

_local = threading.local()


def _client(host: str) -> Client:
    """One client per thread and host: loading the middleware stack per call costs ~40 ms."""
    clients = _local.__dict__.setdefault("clients", {})
    if host not in clients:
        clients[host] = Client(HTTP_HOST=host)
    client = clients[host]
    client.cookies.clear()
    return client


def django_transport(url: str, body: bytes | None, headers: dict[str, str], timeout: float):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    meta = {}
    content_type = "application/octet-stream"
    for name, value in headers.items():
        if name.lower() == "content-type":
            content_type = value
            continue
        meta["HTTP_" + name.upper().replace("-", "_")] = value
    client = _client(parts.hostname or "testserver")
    if body is None:
        response = client.get(path, **meta)
    else:
        response = client.generic("POST", path, body, content_type=content_type, **meta)
    return response.status_code, response.content


@contextmanager
def in_process():
    with http.using_transport(django_transport):
        yield
