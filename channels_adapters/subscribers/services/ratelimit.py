"""Per-contract request rate limit, shared by every worker through Redis.

A plain token bucket of capacity N refilled at N/s lets up to 2N requests into one
1-second window (a full bucket, then the refill).  Endpoints that say "at most N per
second" mean *any* second, so this is a sliding-window log instead: a sorted set of
send times; a request may go when fewer than N were sent in the last window *and* the
previous one left at least window/N ago (sends are spread out, not burst: a burst of N
that arrives a little late would share a second with the next ones). The window is
widened (``SAFETY``) so that a request delayed by up to a quarter second on its way —
network, a busy receiver — still cannot put N+1 arrivals into one of the receiver's seconds.  Time comes from
the Redis server (``TIME``), so workers on different hosts share one clock.
"""

from __future__ import annotations

import uuid
from functools import cache

import redis
from django.conf import settings

SAFETY = 1.25
KEY = "liuzhuan:subscribers:rate:{}"

_SCRIPT = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now + 1
end
local spacing = math.floor(window / limit)
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] and now - tonumber(newest[2]) < spacing then
  return tonumber(newest[2]) + spacing - now + 1
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window + 1000)
return 0
"""


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.DRAMATIQ_REDIS_URL)


@cache
def _script():
    return _client().register_script(_SCRIPT)


def rate_acquire(*, bucket: str, per_second: int | None) -> float:
    """Take one slot now; return 0.0 on success, else the seconds to wait before trying again."""
    if not per_second:
        return 0.0
    window_ms = int(1000 * SAFETY)
    wait_ms = _script()(keys=[KEY.format(bucket)], args=[window_ms, per_second, uuid.uuid4().hex])
    return max(int(wait_ms), 0) / 1000.0


def rate_reset(*, bucket: str) -> None:
    _client().delete(KEY.format(bucket))


def redis_client() -> redis.Redis:
    return _client()
