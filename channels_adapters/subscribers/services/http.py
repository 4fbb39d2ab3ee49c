"""POST one signed body *now* (outside any transaction), with keep-alive per thread.

Standard library only (``http.client``): no extra runtime dependency.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

EXCERPT_BYTES = 1000
USER_AGENT = "Liuzhuan-Webhooks/1.0"

_local = threading.local()


@dataclass(frozen=True)
class HttpResult:
    status: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""
    retry_after: float | None = None


def _connection(scheme: str, netloc: str, timeout: float) -> http.client.HTTPConnection:
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    key = (scheme, netloc)
    conn = pool.get(key)
    if conn is None:
        if scheme == "https":
            conn = http.client.HTTPSConnection(netloc, timeout=timeout,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(netloc, timeout=timeout)
        pool[key] = conn
    conn.timeout = timeout
    if conn.sock is None:
        conn.connect()
        # Small request/response pairs: no Nagle delay (40 ms with delayed ACKs).
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.sock.settimeout(timeout)
    return conn


def _drop(scheme: str, netloc: str) -> None:
    conn = getattr(_local, "pool", {}).pop((scheme, netloc), None)
    if conn is not None:
        conn.close()


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def http_post_now(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> HttpResult:
    """Send one request; never raises for network trouble (it is reported in the result)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    all_headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Content-Length": str(len(body)),
        **headers,
    }
    started = time.monotonic()
    for attempt in (1, 2):
        reused = (parts.scheme, parts.netloc) in getattr(_local, "pool", {})
        try:
            conn = _connection(parts.scheme, parts.netloc, timeout)
            conn.request("POST", path, body=body, headers=all_headers)
            response = conn.getresponse()
            excerpt = response.read(EXCERPT_BYTES + 1)
            if len(excerpt) > EXCERPT_BYTES or response.getheader("Connection", "") == "close":
                _drop(parts.scheme, parts.netloc)
            else:
                response.read()
            return HttpResult(
                status=response.status,
                duration_ms=int((time.monotonic() - started) * 1000),
                excerpt=excerpt[:EXCERPT_BYTES].decode("utf-8", "replace"),
                retry_after=_retry_after(response.getheader("Retry-After")),
            )
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            _drop(parts.scheme, parts.netloc)
            # A kept-alive connection the server closed meanwhile: reconnect once.
            if reused and attempt == 1:
                continue
            error = f"{type(exc).__name__}: {exc}"
        except TimeoutError:
            _drop(parts.scheme, parts.netloc)
            error = f"timeout after {timeout:g}s"
        except (OSError, http.client.HTTPException, ValueError) as exc:
            _drop(parts.scheme, parts.netloc)
            error = f"{type(exc).__name__}: {exc}"
        return HttpResult(status=None, duration_ms=int((time.monotonic() - started) * 1000),
                          error=error)
    raise AssertionError("unreachable")
