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


@dramatiq.actor(queue_name="ingest", max_retries=5, time_limit=60_000)
def order_approval_run_task(oid: str) -> None:
    """Evaluate the approval rules for a paid order (enqueued when it arrives)."""
    from warehouses.services.approval import order_approval_run

    order_approval_run(oid=oid)
