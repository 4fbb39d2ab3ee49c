"""Reads of the warehouses app, with their joins decided here."""

from __future__ import annotations

from django.db.models import ExpressionWrapper, F, IntegerField, QuerySet

from orders.choices import HoldReason, OrderStatus
from orders.models import Order
from warehouses.models import Reservation, StockLevel, Warehouse

AVAILABLE = ExpressionWrapper(F("on_hand") - F("reserved"), output_field=IntegerField())
OUTBOUND_STATUSES = (OrderStatus.APPROVED, OrderStatus.ALLOCATED)


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.order_by("code")


def stock_list(*, sku: str | None = None, warehouse: str | None = None) -> QuerySet[StockLevel]:
    """Stock rows with ``available`` annotated; ``sku``/``warehouse`` are codes."""
    qs = StockLevel.objects.select_related("warehouse", "sku").annotate(available_qty=AVAILABLE)
    if sku:
        qs = qs.filter(sku__code=sku)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    return qs.order_by("sku__code", "warehouse__code", "id")


def order_reservations(*, order: Order) -> QuerySet[Reservation]:
    return Reservation.objects.filter(order=order).select_related("warehouse", "sku", "line")


def outbound_queue() -> QuerySet[Order]:
    """Approved and allocated orders, the most urgent first (priority score)."""
    return (Order.objects.filter(status__in=OUTBOUND_STATUSES)
            .select_related("shop", "warehouse", "customer")
            .order_by("-priority_score", "paid_at", "id"))


def review_queue(*, level: str | None = None) -> QuerySet[Order]:
    """Orders held for review (``level``: ``review`` or ``second_review``)."""
    reasons = [level] if level else [HoldReason.REVIEW, HoldReason.SECOND_REVIEW]
    return (Order.objects.filter(status=OrderStatus.ON_HOLD, hold_reason__in=reasons)
            .select_related("shop", "customer")
            .order_by("-priority_score", "paid_at", "id"))
