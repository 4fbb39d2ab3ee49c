"""Relay actors (thin: call the relay service)."""

from __future__ import annotations

import time

import dramatiq
import redis

from core import schedule
from core.coalesce import namespaced

from .policy import policy
from .services.outbox import kick_pending_key
from .services.ratelimit import redis_client
from .services.relay import deliveries_claimable, deliveries_relay, deliveries_requeue_expired

QUEUE = "deliveries"
KICK_KEY = "subscribers:kick:{}"  # namespaced by database (``core.coalesce.namespaced``)
HELP_KEY = "subscribers:help"
HOLD_MS = 3000  # the "a relay is running" flag lives this long without a refresh
LINGER = 0.25  # seconds a run keeps looking for new rows before it stops


def _schedule_later(seconds: float) -> None:
    """Enqueue one delayed relay run for when the next retry is due (deduplicated)."""
    if seconds > 3600:
        return  # the sweeper will find it
    due = int(time.time() + seconds)
    try:
        if not redis_client().set(namespaced(KICK_KEY.format(due)), 1, nx=True, ex=int(seconds) + 60):
            return
    except redis.RedisError:
        pass
    deliveries_relay_task.send_with_options(delay=int(max(seconds, 0) * 1000) + 20)


def _ask_for_help() -> None:
    """A claim came back full: one more relay run (at most one asked for per half second)."""
    try:
        if not redis_client().set(namespaced(HELP_KEY), 1, nx=True, px=500):
            return
    except redis.RedisError:
        pass
    deliveries_relay_task.send()


class _RunningFlag:
    """While a relay run loops it holds the kick flag, so commits send no more messages
    (the run's next claim takes their rows); it lets go when it stops."""

    def __init__(self):
        self.refreshed = 0.0

    def hold(self) -> None:
        now = time.monotonic()
        if now - self.refreshed < HOLD_MS / 3000:
            return
        self.refreshed = now
        try:
            redis_client().set(kick_pending_key(), 1, px=HOLD_MS)
        except redis.RedisError:
            pass

    def release(self) -> None:
        self.refreshed = 0.0
        try:
            redis_client().delete(kick_pending_key())
        except redis.RedisError:
            pass


def _relay_run(budget: float) -> None:
    deadline = time.monotonic() + budget
    flag = _RunningFlag()
    while True:
        try:
            deliveries_relay(budget=max(deadline - time.monotonic(), 0.0),
                             schedule_later=_schedule_later, on_backlog=_ask_for_help,
                             heartbeat=flag.hold, linger=LINGER)
        finally:
            flag.release()
        # A commit between the last empty claim and the release found the flag held and
        # sent no message: look once more now that commits kick again.
        if time.monotonic() >= deadline or not deliveries_claimable():
            return


@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=120_000)
def deliveries_relay_task() -> None:
    _relay_run(policy("relay_budget"))


@schedule.every(seconds=5)
@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=60_000)
def deliveries_sweep_task() -> None:
    """Safety net: re-queue leases of dead workers and deliver anything a lost kick missed."""
    deliveries_requeue_expired()
    _relay_run(20.0)
