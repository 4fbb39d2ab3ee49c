"""Orders in a given status, created through the services (never by writing status directly)."""

from __future__ import annotations

from orders.models import Order
from orders.services.ingest import order_ingest
from orders.services.transitions import order_transition

from .orders import canonical_order, make_shop, make_sku

# How to reach each status from a fresh paid order, with system actor (no permission check).
PATHS = {
    "pending_payment": [],
    "paid": ["pay"],
    "on_hold": ["pay", "hold"],
    "approved": ["pay", "approve"],
    "allocated": ["pay", "approve", "allocate"],
    "picking": ["pay", "approve", "allocate", "start_picking"],
    "shipped": ["pay", "approve", "allocate", "start_picking", "ship"],
    "delivered": ["pay", "approve", "allocate", "start_picking", "ship", "deliver"],
    "completed": ["pay", "approve", "allocate", "start_picking", "ship", "deliver", "complete"],
    "cancelled": ["cancel"],
}


def order_in_status(status: str, **canonical_kwargs) -> Order:
    make_shop()
    make_sku()
    result = order_ingest(
        canonical=canonical_order(status="pending_payment", **canonical_kwargs), source="test"
    )
    for name in PATHS[status]:
        order_transition(oid=result.order.oid, name=name, actor=None, source="test")
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == status
    return order
