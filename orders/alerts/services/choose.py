"""Perform a fulfilment option chosen by staff (one click) — or by the system.

Every choice: lock the order, recompute the options (a stale click is refused with
``option_unavailable``), perform the option, record a :class:`FulfilmentDecision`
(+ compensation) and an ``order.fulfillment_chosen`` timeline event, and acknowledge
the open ``out_of_stock`` alert.  All in one transaction.

* transfer   → release the out-of-stock hold, ``order_reroute`` to that warehouse.
* preorder   → hold the order for ``out_of_stock``, promise the inbound units
               (``F()`` under row locks), record the coupon.
* substitute → swap the lines (``order_lines_substitute``), record the discount,
               release the hold and allocate when the stock is there.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, PermissionDenied
from orders.choices import HoldReason, OrderStatus
from orders.services.events import order_event_record
from orders.services.transitions import order_apply_transition, order_lock
from warehouses.services.allocation import order_allocate, order_reroute
from warehouses.services.stock import InsufficientStock

from ..models import (
    OPEN_Q,
    Alert,
    AlertKind,
    AlertStatus,
    Compensation,
    CompensationKind,
    FulfilmentDecision,
    InboundLine,
    OptionKind,
)
from .marking import order_mark_for_alerts
from .options import fulfillment_options
from .substitution import order_lines_substitute

CHOOSE_PERM = "alerts.choose_fulfilment_option"


def fulfillment_option_choose(*, order_oid, option_id: str, actor=None,
                              source: str = "admin") -> FulfilmentDecision:
    if actor is not None and not actor.has_perm(CHOOSE_PERM):
        raise PermissionDenied(_("you may not choose fulfilment options"), code="choose_permission")
    with transaction.atomic():
        order = order_lock(oid=order_oid)
        if not (order.status == OrderStatus.APPROVED
                or (order.status == OrderStatus.ON_HOLD
                    and order.hold_reason == HoldReason.OUT_OF_STOCK)):
            raise Conflict(_("only approved or out-of-stock orders take a fulfilment option"),
                           code="not_out_of_stock",
                           details={"status": order.status, "hold_reason": order.hold_reason})
        offered = fulfillment_options(order=order)
        option = offered.get(option_id)
        if option is None:
            raise Conflict(_("option %(option)r is not available any more") % {"option": option_id},
                           code="option_unavailable",
                           details={"available": [o["id"] for o in offered.options]})
        cost = option["cost"]
        decision = FulfilmentDecision.objects.create(
            order=order, kind=option["kind"], option_id=option_id, option=option,
            extra_cost=Decimal(cost["total"]), chosen_by=_user(actor),
        )
        _PERFORM[option["kind"]](order=order, option=option, decision=decision,
                                 actor=actor, source=source)
        order = order_lock(oid=order_oid)
        order_event_record(order=order, type="order.fulfillment_chosen", actor=actor,
                           source=source, payload={"decision": decision.pk, "option": option_id,
                                                   "kind": option["kind"], "cost": cost,
                                                   "status": order.status})
        Alert.objects.filter(OPEN_Q, order=order, kind=AlertKind.OUT_OF_STOCK,
                             status=AlertStatus.OPEN).update(
            status=AlertStatus.ACKNOWLEDGED, acknowledged_at=timezone.now(),
            acknowledged_by=_user(actor))
        order_mark_for_alerts(order=order)
    return decision


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _release(order, actor, source, note):
    if order.status == OrderStatus.ON_HOLD:
        order_apply_transition(order=order, method=order.release, actor=actor, source=source,
                               note=note)


def _transfer(*, order, option, decision, actor, source) -> None:
    _release(order, actor, source, f"fulfilment: transfer from {option['warehouse']}")
    order_reroute(order_oid=order.oid, warehouse_code=option["warehouse"], actor=actor,
                  source=source)


def _preorder(*, order, option, decision, actor, source) -> None:
    if order.status == OrderStatus.APPROVED:
        order_apply_transition(order=order, method=order.hold, actor=actor, source=source,
                               kwargs={"reason": HoldReason.OUT_OF_STOCK},
                               note="fulfilment: preorder")
    wanted = {row["inbound_line"]: row["quantity"] for row in option["inbound"]}
    rows = list(InboundLine.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk"))
    for row in rows:
        if row.quantity - row.promised < wanted[row.pk]:
            raise Conflict(_("the inbound units were promised meanwhile"), code="option_unavailable")
    for row in rows:
        InboundLine.objects.filter(pk=row.pk).update(promised=F("promised") + wanted[row.pk])
    coupon = Decimal(option["cost"]["coupon"])
    Compensation.objects.create(decision=decision, order=order, customer_id=order.customer_id,
                                kind=CompensationKind.COUPON, amount=coupon)
    order_event_record(order=order, type="order.preorder_held", actor=actor, source=source,
                       payload={"inbound": option["inbound"],
                                "expected_date": option["expected_date"],
                                "coupon": str(coupon)})


def _substitute(*, order, option, decision, actor, source) -> None:
    swaps = {s["line_no"]: s["to_sku"] for s in option["swaps"]}
    discount = Decimal(option["cost"]["discount"])
    order_lines_substitute(order_oid=order.oid, swaps=swaps, actor=actor, source=source,
                           context={"discount_percent": option["discount_percent"],
                                    "discount": str(discount), "decision": decision.pk})
    Compensation.objects.create(decision=decision, order=order, customer_id=order.customer_id,
                                kind=CompensationKind.DISCOUNT, amount=discount)
    order = order_lock(oid=order.oid)
    _release(order, actor, source, "fulfilment: substitute")
    try:
        with transaction.atomic():
            order_allocate(order_oid=order.oid, actor=actor, source=source)
    except InsufficientStock:
        pass  # stays approved: the outbound queue allocates it when stock arrives


_PERFORM = {
    OptionKind.TRANSFER: _transfer,
    OptionKind.PREORDER: _preorder,
    OptionKind.SUBSTITUTE: _substitute,
}
