"""A token bucket shared by every worker, kept in Redis.

Implemented as GCRA (the "virtual scheduling" form of a token bucket): one key
holds the theoretical arrival time of the next token.  ``reserve`` atomically
(one Lua script, Redis server clock) books the next free slot and tells the
caller how long to sleep before using it, so callers queue fairly instead of
polling.  With ``burst=1`` consecutive requests are at least ``1/rate`` apart,
which bounds every sliding one-second window, not just calendar seconds.
"""

from __future__ import annotations

import threading
import time
from functools import cache

import redis
from django.conf import settings

_RESERVE = """
pcall(redis.replicate_commands)
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', key) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if wait > max_wait then return {0, wait} end
local new_tat = tat + interval
redis.call('SET', key, string.format('%d', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1000)
return {1, wait}
"""

_local = threading.local()


@cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.DRAMATIQ_REDIS_URL)


class TokenBucket:
    def __init__(self, key: str, *, rate: float, burst: int = 1, max_wait: float = 5.0):
        self.key = key
        self.interval_us = int(1_000_000 / rate)
        self.tolerance_us = self.interval_us * (max(burst, 1) - 1)
        self.max_wait_us = int(max_wait * 1_000_000)
        self._script = redis_client().register_script(_RESERVE)

    def reserve(self) -> float | None:
        """Book a slot: seconds to wait before using it, or None when the queue is too long."""
        ok, wait_us = self._script(keys=[self.key],
                                   args=[self.interval_us, self.tolerance_us, self.max_wait_us])
        return wait_us / 1_000_000 if ok else None

    def acquire(self, sleep=time.sleep) -> None:
        while True:
            wait = self.reserve()
            if wait is not None:
                if wait:
                    sleep(wait)
                return
            sleep(self.max_wait_us / 2_000_000)
