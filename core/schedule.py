"""Periodic jobs: the scheduler process sends registered actors on a fixed interval.

Apps register in their ``tasks.py`` (auto-discovered by django_dramatiq)::

    @schedule.every(seconds=60)
    @dramatiq.actor(queue_name="sync", max_retries=0, time_limit=55_000)
    def pull_jd_orders_task(): ...

``python manage.py runscheduler`` (started by ``make run``) imports every app's
``tasks`` module and enqueues each registered actor at its interval.  Actors
must be idempotent: a missed or doubled tick is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    actor: object
    seconds: int


JOBS: dict[str, Job] = {}


def every(*, seconds: int):
    def register(actor):
        JOBS[actor.actor_name] = Job(actor=actor, seconds=seconds)
        return actor

    return register
