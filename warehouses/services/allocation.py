"""Allocation: route an approved order, reserve its stock, move it to ``allocated``.

Public entry points (batch outbound builds on these):

* :func:`order_allocate` — route + reserve + ``allocate`` in one transaction.
* :func:`order_unallocate` — the rollback: ``allocated → approved``; the
  ``on_status_changed`` handler releases the reservations in the same transaction.
* :func:`order_reroute` — staff override of the warehouse (re-reserves).
* :func:`allocate_guard` — the transition guard that makes the public ``allocate``
  transition (API / admin button) route and reserve too.

Lock order: the order row (``order_lock``) first, then stock rows in primary-key order
(``stock_levels_lock``); routing reads run under the order lock only.  No network I/O.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from core.errors import NotFound, TransitionNotAllowed
from orders.choices import OrderStatus
from orders.models import Order, OrderLine
from orders.services.transitions import order_apply_transition, order_lock
from warehouses.models import Warehouse

from .routing import RoutingDecision, order_route, order_route_manual
from .stock import stock_release, stock_reserve


def _check(order: Order, method, actor) -> None:
    name = method.__name__
    if not can_proceed(method):
        raise TransitionNotAllowed(_("cannot %(name)s an order in status %(status)s")
                                   % {"name": name, "status": order.status},
                                   details={"status": order.status, "transition": name})
    if actor is not None and not has_transition_perm(method, actor):
        raise TransitionNotAllowed(_("you may not %(name)s orders") % {"name": name},
                                   details={"status": order.status, "transition": name,
                                            "reason": "permission"})


def _load_lines(order: Order) -> None:
    prefetch_related_objects(
        [order], Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("line_no"))
    )


def _route_and_reserve(order: Order, *, actor, warehouse: Warehouse | None = None) -> RoutingDecision:
    """On a locked order: decide, reserve, and set ``warehouse``/``routing`` in memory."""
    _load_lines(order)
    if warehouse is None:
        decision = order_route(order=order)
    else:
        decision = order_route_manual(order=order, warehouse=warehouse, actor=actor)
    stock_reserve(order=order, allocations=decision.allocations, actor=actor)
    order.warehouse = decision.warehouse
    order.routing = decision.as_json()
    return decision


def _payload(decision: RoutingDecision) -> dict:
    data = decision.as_json()
    return {"warehouse": data["warehouse"], "rule": data["rule"], "packages": data["packages"]}


def order_allocate(*, order_oid, actor=None, source: str = "system",
                   warehouse_code: str | None = None) -> Order:
    """Route, reserve and allocate the approved order ``order_oid``.

    ``warehouse_code`` forces a warehouse (staff override).  Raises
    ``InsufficientStock`` (409, every shortage listed) and rolls everything back when
    the stock is not there; ``TransitionNotAllowed`` when the order is not approved.
    """
    warehouse = _warehouse(warehouse_code) if warehouse_code else None
    with transaction.atomic():
        order = order_lock(oid=order_oid)
        _check(order, order.allocate, actor)
        decision = _route_and_reserve(order, actor=actor, warehouse=warehouse)
        return order_apply_transition(order=order, method=order.allocate, actor=actor,
                                      source=source, payload=_payload(decision))


def order_unallocate(*, order_oid, actor=None, source: str = "system", note: str = "") -> Order:
    """Undo an allocation: ``allocated → approved``; reservations are released by the
    status handler in the same transaction and ``Order.warehouse`` is cleared."""
    with transaction.atomic():
        order = order_lock(oid=order_oid)
        _check(order, order.unallocate, None)
        return order_apply_transition(order=order, method=order.unallocate, actor=actor,
                                      source=source, note=note)


def order_reroute(*, order_oid, warehouse_code: str, actor=None, source: str = "admin") -> Order:
    """Staff override: ship the order from ``warehouse_code``.

    An approved order is allocated there; an allocated one is unallocated and allocated
    again there — one transaction, so a shortage leaves the old allocation untouched.
    """
    warehouse = _warehouse(warehouse_code)
    with transaction.atomic():
        order = order_lock(oid=order_oid)
        if order.status == OrderStatus.ALLOCATED:
            order_apply_transition(order=order, method=order.unallocate, actor=actor,
                                   source=source, note=f"rerouting to {warehouse.code}")
        _check(order, order.allocate, actor)
        decision = _route_and_reserve(order, actor=actor, warehouse=warehouse)
        return order_apply_transition(order=order, method=order.allocate, actor=actor,
                                      source=source, payload=_payload(decision))


def _warehouse(code: str) -> Warehouse:
    try:
        return Warehouse.objects.get(code=code, active=True)
    except Warehouse.DoesNotExist:
        raise NotFound(_("no active warehouse %(code)r") % {"code": code}, code="unknown_warehouse") from None


def allocate_guard(*, order: Order, name: str, actor, params: dict) -> None:
    """Transition guard: the public ``allocate`` made by a person (API, admin button)
    routes and reserves on the already locked order; a shortage aborts it (409).

    ``actor=None`` is the system, trusted like ``order_apply_transition`` callers (e.g.
    imports of orders already allocated elsewhere); system code that wants stock
    reserved calls :func:`order_allocate`.
    """
    if name == "allocate" and actor is not None:
        _route_and_reserve(order, actor=actor)


def release_for_status_change(*, order: Order, from_status, to_status, actor, source) -> None:
    """``on_status_changed`` handler: give stock back when an order leaves fulfilment.

    cancelled (channel cancel/refund or ours) → release; ``unallocate`` /
    ``return_to_approved`` → release and clear the warehouse; shipped → consume.
    """
    from .stock import stock_consume

    if to_status == OrderStatus.CANCELLED:
        stock_release(order=order, actor=actor, source=source, reason="cancelled")
    elif to_status == OrderStatus.APPROVED and from_status in (OrderStatus.ALLOCATED,
                                                               OrderStatus.PICKING):
        stock_release(order=order, actor=actor, source=source, reason="unallocated")
        if order.warehouse_id is not None:
            Order.objects.filter(pk=order.pk).update(warehouse=None)
            order.warehouse = None
    elif to_status == OrderStatus.SHIPPED and from_status in (OrderStatus.ALLOCATED,
                                                              OrderStatus.PICKING):
        stock_consume(order=order, actor=actor, source=source)
