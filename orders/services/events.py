"""Timeline events: one function writes them, always inside the caller's transaction."""

from __future__ import annotations

from django.db import transaction

from orders import hooks
from orders.models import Order, OrderEvent


def order_event_record(
    *,
    order: Order,
    type: str,
    actor=None,
    source: str = "system",
    payload: dict | None = None,
) -> OrderEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("order events are written inside the transaction of their change")
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = OrderEvent.objects.create(
        order=order, type=type, actor=user, source=source, payload=payload or {}
    )
    hooks.event_recorded(order=order, event=event)
    return event


def order_status_event_type(status: str) -> str:
    return f"order.{status}"
