"""The hook reconciliation (issue 4) uses to raise and settle ``reconcile_gap`` alerts.

Reconciliation compares the platform's view of an order with ours.  When they differ
it calls :func:`order_reconcile_gap_record`; when a later run finds them equal it calls
:func:`order_reconciled_record`.  Both write a timeline event on the locked order;
the ``reconcile_gap`` detector follows the latest of the two events.
"""

from __future__ import annotations

from django.db import transaction

from orders.services.events import order_event_record
from orders.services.transitions import order_lock


def order_reconcile_gap_record(*, order_oid, differences: dict, source: str = "reconcile",
                               actor=None) -> None:
    with transaction.atomic():
        order = order_lock(oid=order_oid)
        order_event_record(order=order, type="order.reconcile_gap", actor=actor, source=source,
                           payload={"differences": differences})


def order_reconciled_record(*, order_oid, source: str = "reconcile", actor=None) -> None:
    with transaction.atomic():
        order = order_lock(oid=order_oid)
        order_event_record(order=order, type="order.reconciled", actor=actor, source=source,
                           payload={})
