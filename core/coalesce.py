"""Coalesced actor messages: many "please run" requests → one queued message.

A burst of commits that each want the same set-based actor to run (evaluate the waiting
orders, say) sends ONE message: a flag in Redis (``SET NX`` with an expiry) marks "a run is
queued and has not started yet"; the run clears it first thing, so any commit after
that sends again and nothing is left behind.  Without Redis every request sends (the
message is what matters; the flag only saves work).  Keys are namespaced by database, so
two deployments — or two test runs — sharing one Redis never swallow each other's kicks.
"""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.DRAMATIQ_REDIS_URL, socket_timeout=2)


def namespaced(name: str) -> str:
    """A Redis key of this deployment's (its database's) own."""
    return f"liuzhuan:{settings.DATABASES['default']['NAME']}:{name}"


def _key(name: str) -> str:
    return namespaced(f"kick:{name}")


def coalesced_send(actor, *, name: str, window_ms: int = 2000) -> bool:
    """Send ``actor`` (no arguments) unless a run is already queued; True if sent.
    ``window_ms``: how long a queued-but-lost message can hold back the next one."""
    try:
        if not redis_client().set(_key(name), 1, nx=True, px=window_ms):
            return False
    except redis.RedisError:
        pass
    actor.send()
    return True


def coalesced_started(name: str) -> None:
    """Called by the run as it starts: requests from now on send a new message."""
    try:
        redis_client().delete(_key(name))
    except redis.RedisError:
        pass
