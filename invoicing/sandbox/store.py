"""Sandbox state in Redis: issued invoices by request id, the rate window, an arrival log."""

from __future__ import annotations

import json
import uuid

from invoicing import conf
from invoicing.gateway.ratelimit import redis_client

# Sliding one-second window of *admitted* calls; every arrival is also logged (tests read it).
_ADMIT = """
pcall(redis.replicate_commands)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('RPUSH', KEYS[2], string.format('%d', now))
redis.call('LTRIM', KEYS[2], -20000, -1)
redis.call('EXPIRE', KEYS[2], 3600)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, string.format('%d', now) .. ':' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], 2000)
return {1, 0}
"""


def _key(*parts: str) -> str:
    return ":".join((conf.redis_namespace(), "taxsandbox", *parts))


def admit() -> tuple[bool, float]:
    """(admitted, seconds until a slot frees)."""
    r = redis_client()
    ok, wait_us = r.register_script(_ADMIT)(
        keys=[_key("window"), _key("arrivals")],
        args=[1_000_000, int(conf.get("INVOICING_SANDBOX_RATE")), uuid.uuid4().hex],
    )
    return bool(ok), max(wait_us, 0) / 1_000_000


def arrivals() -> list[int]:
    """Arrival times (µs, Redis clock) of every call since the last ``reset``."""
    return [int(x) for x in redis_client().lrange(_key("arrivals"), 0, -1)]


def reset() -> None:
    r = redis_client()
    keys = list(r.scan_iter(_key("*"), count=1000))
    if keys:
        r.delete(*keys)


def next_number() -> int:
    return int(redis_client().incr(_key("seq")))


def save_once(request_id: str, document: dict) -> dict:
    """Store the answer for ``request_id`` unless one exists; return the stored answer."""
    r = redis_client()
    key = _key("req", request_id)
    if r.set(key, json.dumps(document, ensure_ascii=False), nx=True, ex=30 * 86400):
        r.incr(_key("issued_count"))
        r.hset(_key("by_number"), document["invoiceNo"], request_id)
        r.hincrby(_key("issues_per_request"), request_id, 1)
        return document
    return load(request_id)


def load(request_id: str) -> dict | None:
    raw = redis_client().get(_key("req", request_id))
    return json.loads(raw) if raw else None


def load_by_number(number: str) -> dict | None:
    request_id = redis_client().hget(_key("by_number"), number)
    return load(request_id.decode()) if request_id else None


def issues_per_request() -> dict[str, int]:
    raw = redis_client().hgetall(_key("issues_per_request"))
    return {k.decode(): int(v) for k, v in raw.items()}


def red_used(number: str) -> dict[str, str]:
    raw = redis_client().hgetall(_key("red_used", number))
    return {k.decode(): v.decode() for k, v in raw.items()}


def add_red_used(number: str, index: str, total: str) -> None:
    redis_client().hset(_key("red_used", number), index, total)
