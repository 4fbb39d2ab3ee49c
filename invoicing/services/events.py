"""The invoice timeline: one function writes it, inside the caller's transaction."""

from __future__ import annotations

from django.db import transaction

from invoicing.models import InvoiceEvent, InvoiceRequest


def invoice_event_record(*, request: InvoiceRequest, type: str, actor=None, source: str = "system",
                         payload: dict | None = None, order_event: bool = False) -> InvoiceEvent:
    """Write one timeline row; ``order_event`` also puts it on the order's timeline (and so on
    the outbox for subscribers: ``invoice.issued``, ``invoice.rejected``, ``invoice.red``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice events are written inside the transaction of their change")
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = InvoiceEvent.objects.create(request=request, type=type, actor=user, source=source,
                                        payload=payload or {})
    if order_event:
        from orders.services.events import order_event_record

        order_event_record(order=request.order, type=type, actor=user, source=source,
                           payload={"invoice_request": request.pk, **(payload or {})})
    return event
