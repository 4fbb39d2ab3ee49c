"""Relay actors (thin: call the relay service)."""

from __future__ import annotations

import time

import dramatiq
import redis

from core import schedule

from .policy import policy
from .services.outbox import KICK_PENDING_KEY, relay_kick
from .services.ratelimit import redis_client
from .services.relay import deliveries_relay, deliveries_requeue_expired

QUEUE = "deliveries"
KICK_KEY = "liuzhuan:subscribers:kick:{}"


def _schedule_later(seconds: float) -> None:
    """Enqueue one delayed relay run for when the next retry is due (deduplicated)."""
    if seconds > 3600:
        return  # the sweeper will find it
    due = int(time.time() + seconds)
    try:
        if not redis_client().set(KICK_KEY.format(due), 1, nx=True, ex=int(seconds) + 60):
            return
    except redis.RedisError:
        pass
    deliveries_relay_task.send_with_options(delay=int(max(seconds, 0) * 1000) + 20)


@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=120_000)
def deliveries_relay_task() -> None:
    try:
        redis_client().delete(KICK_PENDING_KEY)
    except redis.RedisError:
        pass
    deliveries_relay(budget=policy("relay_budget"), schedule_later=_schedule_later,
                     on_backlog=relay_kick)


@schedule.every(seconds=5)
@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=60_000)
def deliveries_sweep_task() -> None:
    """Safety net: re-queue leases of dead workers and deliver anything a lost kick missed."""
    deliveries_requeue_expired()
    deliveries_relay(budget=20.0, schedule_later=_schedule_later)
