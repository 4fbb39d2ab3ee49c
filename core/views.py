"""Liveness/readiness: the database and the broker must both answer."""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _check_db() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


def _check_broker() -> str | None:
    try:
        client = redis.Redis.from_url(settings.DRAMATIQ_REDIS_URL, socket_timeout=2,
                                      socket_connect_timeout=2)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


def healthz(request):
    started = time.monotonic()
    problems = {name: err for name, err in (("database", _check_db()), ("broker", _check_broker())) if err}
    body = {
        "status": "ok" if not problems else "unavailable",
        "database": "ok" if "database" not in problems else "down",
        "broker": "ok" if "broker" not in problems else "down",
        "ms": round((time.monotonic() - started) * 1000, 1),
    }
    if request.GET.get("verbose"):
        from django.core.cache import cache

        try:
            body["worker_heartbeat"] = cache.get("liuzhuan:heartbeat")
        except Exception:  # noqa: BLE001 - the broker check above already reports Redis
            body["worker_heartbeat"] = None
    if problems:
        body["code"] = "dependency_down"
        body["message"] = "; ".join(f"{k}: {v}" for k, v in problems.items())
        return JsonResponse(body, status=503)
    return JsonResponse(body)
