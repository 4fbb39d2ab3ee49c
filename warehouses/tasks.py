"""Dramatiq actors of the warehouses app (thin: call one service)."""

from __future__ import annotations

import dramatiq

from core import schedule


@schedule.every(seconds=300)
@dramatiq.actor(queue_name="outbound", max_retries=3, time_limit=10 * 60 * 1000)
def orders_rescore_task() -> None:
    """Rescore every eligible order (policy change, and the clock moving ship-by/age)."""
    from warehouses.services.scoring import orders_rescore

    orders_rescore()


@schedule.every(seconds=30)
@dramatiq.actor(queue_name="ingest", max_retries=5, time_limit=120_000)
def orders_approval_sweep_task() -> None:
    """Evaluate every order waiting for the approval rules, in batches (queued, coalesced,
    when orders arrive; every 30 s as a safety net)."""
    from warehouses.services.approval_batch import orders_approval_drain

    orders_approval_drain()


@dramatiq.actor(queue_name="ingest", max_retries=5, time_limit=60_000)
def order_approval_run_task(oid: str) -> None:
    """Evaluate a paid order (messages queued by earlier versions, and by hand) — together
    with the other orders waiting, in one batch (``approval_batch``)."""
    from warehouses.services.approval_batch import orders_approval_sweep

    orders_approval_sweep(oid=oid)


@dramatiq.actor(queue_name="outbound", max_retries=3, time_limit=60 * 60 * 1000)
def outbound_batch_run_task(batch_id: int) -> None:
    """Execute (or resume) an outbound batch; every step is idempotent, so a retry or a
    second message for the same batch continues where the first stopped."""
    from warehouses.services.outbound import outbound_batch_run

    outbound_batch_run(batch_id=batch_id)


@dramatiq.actor(queue_name="outbound", max_retries=3, time_limit=60 * 60 * 1000)
def outbound_batch_rollback_task(batch_id: int) -> None:
    """Run (or resume) the compensation of a rolled-back batch."""
    from warehouses.services.outbound import outbound_batch_rollback_run

    outbound_batch_rollback_run(batch_id=batch_id)
