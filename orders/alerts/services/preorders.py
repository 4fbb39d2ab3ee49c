"""The two ends of a preorder's promise of inbound units (``choose._preorder`` makes it):

* **received** (:func:`inbound_receive`): the shipment's units go on hand at its
  warehouse, and every order waiting on a preorder for it is released from its hold and
  allocated there at once (or, if the stock is taken meanwhile, left ``approved`` for the
  outbound queue);
* **cancelled** (:func:`preorder_release_on_cancel`): the units promised to the order are
  free again for other orders' options.  The coupon already granted stays (it was the
  customer's).

Either way the decision's promise is closed (``released_at``) — once.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from orders.choices import HoldReason, OrderStatus
from orders.services.events import order_event_record
from orders.services.transitions import order_apply_transition, order_lock
from warehouses.models import StockLevel
from warehouses.services.allocation import order_allocate
from warehouses.services.stock import InsufficientStock, stock_levels_lock

from ..models import FulfilmentDecision, InboundLine, InboundShipment, InboundStatus, OptionKind


def preorder_release_on_cancel(*, order, from_status, to_status, actor, source) -> None:
    """``orders.hooks.on_status_changed`` handler (in the cancelling transaction)."""
    if to_status != OrderStatus.CANCELLED:
        return
    decisions = _open_decisions(order_id=order.pk)
    if not decisions:
        return
    given_back: dict[int, int] = {}
    for decision in decisions:
        for row in decision.option.get("inbound") or []:
            given_back[row["inbound_line"]] = given_back.get(row["inbound_line"], 0) + row["quantity"]
    for line_id in sorted(given_back):  # lock order: by id, as the promise took them
        InboundLine.objects.filter(pk=line_id).update(promised=F("promised") - given_back[line_id])
    _close(decisions)
    order_event_record(order=order, type="order.preorder_released", actor=actor, source=source,
                       payload={"inbound": [{"inbound_line": pk, "quantity": qty}
                                            for pk, qty in sorted(given_back.items())]})


def inbound_receive(*, shipment_id: int, actor=None, source: str = "admin") -> dict:
    """Receive an expected inbound shipment: its units on hand, its preorders allocated.
    Returns ``{"units", "released", "allocated"}``."""
    with transaction.atomic():
        shipment = (InboundShipment.objects.select_for_update().select_related("warehouse")
                    .get(pk=shipment_id))
        if shipment.status != InboundStatus.EXPECTED:
            raise Conflict(_("inbound %(ref)s is %(status)s, not expected")
                           % {"ref": shipment.reference, "status": shipment.get_status_display()},
                           code="inbound_not_expected", details={"status": shipment.status})
        lines = list(shipment.lines.order_by("pk"))
        units = _put_on_hand(shipment.warehouse, lines)
        shipment.status = InboundStatus.RECEIVED
        shipment.save(update_fields=["status"])
        released = allocated = 0
        for decision_id, oid in _waiting(lines):
            order = order_lock(oid=oid)  # the order first, as a cancellation locks them
            decision = _open_decisions(pk=decision_id)
            if not decision:
                continue  # cancelled meanwhile: its promise is closed already
            _close(decision)
            if order.status != OrderStatus.ON_HOLD or order.hold_reason != HoldReason.OUT_OF_STOCK:
                continue  # released or cancelled meanwhile: the queue or nobody needs it
            order_apply_transition(order=order, method=order.release, actor=actor, source=source,
                                   note=f"inbound {shipment.reference} received")
            order_event_record(order=order, type="order.preorder_fulfilled", actor=actor,
                               source=source, payload={"inbound": shipment.reference})
            released += 1
            try:
                with transaction.atomic():
                    order_allocate(order_oid=order.oid, actor=actor, source=source,
                                   warehouse_code=shipment.warehouse.code)
                allocated += 1
            except InsufficientStock:
                pass  # stays approved: the outbound queue allocates it when it can
        return {"units": units, "released": released, "allocated": allocated}


def _put_on_hand(warehouse, lines: list[InboundLine]) -> int:
    StockLevel.objects.bulk_create([StockLevel(warehouse=warehouse, sku_id=ln.sku_id, on_hand=0)
                                    for ln in lines], ignore_conflicts=True)
    levels = stock_levels_lock(keys=[(warehouse.pk, ln.sku_id) for ln in lines])
    now = timezone.now()
    for ln in lines:
        StockLevel.objects.filter(pk=levels[(warehouse.pk, ln.sku_id)].pk).update(
            on_hand=F("on_hand") + ln.quantity, updated_at=now)
    return sum(ln.quantity for ln in lines)


def _open_decisions(**filters) -> list[FulfilmentDecision]:
    return list(FulfilmentDecision.objects.select_for_update()
                .filter(kind=OptionKind.PREORDER, released_at__isnull=True, **filters)
                .order_by("pk"))


def _waiting(lines: list[InboundLine]) -> list[tuple[int, object]]:
    """(decision id, order OID) of the open preorders promised units of these lines,
    oldest first (read without locks: each is locked after its order)."""
    promised = Q()
    for ln in lines:
        promised |= Q(option__inbound__contains=[{"inbound_line": ln.pk}])
    return list(FulfilmentDecision.objects.filter(promised, kind=OptionKind.PREORDER,
                                                  released_at__isnull=True)
                .order_by("pk").values_list("pk", "order__oid"))


def _close(decisions: list[FulfilmentDecision]) -> None:
    FulfilmentDecision.objects.filter(pk__in=[d.pk for d in decisions]).update(
        released_at=timezone.now())
