"""HTTP plumbing shared by the platform API clients: transport, errors, throttle, pages.

Every client call goes through ``call()``.  The transport is swappable so that
``simulate`` and the tests can drive the sandbox gateways in-process (through
Django's test client) with exactly the bytes a real HTTP call would carry.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .registry import GatewayError

MAX_RESPONSE = 16 * 1024 * 1024


class PlatformRejected(GatewayError):
    """The platform answered with an error envelope that retrying will not fix."""

    retryable = False

    def __init__(self, message: str, *, code: str = "", sub_code: str = ""):
        super().__init__(message)
        self.code, self.sub_code = str(code), str(sub_code)


class RateLimited(GatewayError):
    """The platform's flow control refused the call (retry after a pause)."""

    retryable = True


class AlreadyShipped(PlatformRejected):
    """The platform says the order has been shipped already (write-back is done)."""


# ----------------------------------------------------------------------------- transport

Transport = Callable[[str, bytes | None, dict[str, str], float], tuple[int, bytes]]


def urllib_transport(url: str, body: bytes | None, headers: dict[str, str], timeout: float):
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(MAX_RESPONSE)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_RESPONSE)


_transport: dict[str, Transport] = {"current": urllib_transport}


@contextmanager
def using_transport(transport: Transport):
    saved = _transport["current"]
    _transport["current"] = transport
    try:
        yield
    finally:
        _transport["current"] = saved


def call(url: str, *, body: bytes | None, headers: dict[str, str], timeout: float = 15.0) -> bytes:
    """One HTTP exchange; network trouble and 5xx become ``GatewayError`` (retryable)."""
    try:
        status, raw = _transport["current"](url, body, headers, timeout)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise GatewayError(f"gateway unreachable: {exc}") from exc
    if status >= 500:
        raise GatewayError(f"gateway answered HTTP {status}")
    if status >= 400 and status not in (400, 401, 403, 404, 429):
        raise GatewayError(f"gateway answered HTTP {status}")
    return raw


# ----------------------------------------------------------------------------- throttle


class Throttle:
    """Client-side spacing of calls per (platform, app key): stay under the platform's limit."""

    def __init__(self):
        self._next: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def wait(self, key: tuple[str, str], per_second: float) -> None:
        if per_second <= 0:
            return
        gap = 1.0 / per_second
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(key, 0.0))
            self._next[key] = at + gap
        if at > now:
            time.sleep(at - now)


throttle = Throttle()


def with_retry(fn: Callable[[], Any], *, attempts: int = 4, pause: float = 0.5) -> Any:
    """Retry a call that hit the platform's rate limit, with a growing pause."""
    for attempt in range(attempts):
        try:
            return fn()
        except RateLimited:
            if attempt == attempts - 1:
                raise
            time.sleep(pause * (2 ** attempt))
    return None  # pragma: no cover


# ----------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class PullRules:
    """A platform's incremental-list contract (research/channels.md §2.1, §3.1, §4.1, §5.1)."""

    max_window: timedelta
    page_size: int
    first_page: int = 1
    backwards: bool = True  # page from the last page to the first
    end_lag: timedelta = timedelta(0)  # keep the window end this far behind "now"
    calls_per_second: float = 0.0  # client-side spacing; 0 = none
    history: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class ListedOrder:
    """One entry of an incremental list: id, platform modified time, the full document if given."""

    order_id: str
    modified: datetime | None
    document: dict | None = None


@dataclass
class Page:
    total: int
    orders: list[ListedOrder] = field(default_factory=list)
