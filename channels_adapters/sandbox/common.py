"""What every sandbox gateway shares: app lookup, flow control, request parameters.

Flow control is a sliding window per (platform, limit key) kept in this process
(one gunicorn worker = one window; good enough for a fake platform).  Limits come
from research/channels.md where the platform documents them; where it does not,
the sandbox picks a generous value and says so.  ``LIUZHUAN_SANDBOX_RATE_LIMITS``
(``{"jd": (10, 1.0), "pdd.order.number.list.increment.get": (3000, 60.0), ...}``)
overrides them, which is how the tests make a limit bite.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest

from orders.models import Shop

# key → (calls, seconds).  Keys: "<platform>" (per app) or "<api method>" (per shop).
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "jd": (10, 1.0),  # "频率限制: 10 次/秒" [T]
    "pdd.order.number.list.increment.get": (3000, 60.0),  # SHOP 3000 / 60 s [V]
    "pdd.order.information.get": (2000, 1.0),  # API 2000 / 1 s [V]
    "pdd": (6000, 60.0),
    "taobao": (400, 1.0),  # not documented: sandbox choice
    "douyin": (400, 1.0),  # not documented: sandbox choice
}

_windows: dict[str, deque] = {}
_lock = threading.Lock()


def limits() -> dict[str, tuple[int, float]]:
    return {**DEFAULT_LIMITS, **getattr(settings, "LIUZHUAN_SANDBOX_RATE_LIMITS", {})}


def allow(*keys: tuple[str, str]) -> bool:
    """Count one call against every (limit name, subject) given; False if any is over."""
    table = limits()
    now = time.monotonic()
    with _lock:
        windows = []
        for name, subject in keys:
            if name not in table:
                continue
            count, seconds = table[name]
            window = _windows.setdefault(f"{name}|{subject}", deque())
            while window and window[0] <= now - seconds:
                window.popleft()
            if len(window) >= count:
                return False
            windows.append(window)
        for window in windows:
            window.append(now)
    return True


def reset_limits() -> None:
    with _lock:
        _windows.clear()


def sandbox_app(*, channel: str, app_key: str) -> Shop | None:
    """The sandbox knows the apps of the shops configured for this channel."""
    if not app_key:
        return None
    return Shop.objects.filter(channel=channel, app_key=app_key).first()


def request_params(request: HttpRequest) -> dict[str, str]:
    """Query string + form body (TOP, JD routerjson and PDD router accept both)."""
    params = {k: v for k, v in request.GET.items()}
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.body and "json" in content_type:
        import json

        try:
            body = json.loads(request.body, parse_int=str, parse_float=str)
        except ValueError:
            body = {}
        if isinstance(body, dict):
            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
    elif request.body:
        params.update(dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)))
    return params
