"""Reads of the warehouses app, with their joins decided here."""

from __future__ import annotations

from django.db.models import ExpressionWrapper, F, IntegerField, Prefetch, QuerySet
from django.utils.translation import gettext as _

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


# ------------------------------------------------------------------ batch outbound

FILTER_KEYS = ("status", "warehouse", "channel", "shop", "min_score", "province", "limit",
               "paid_before", "saved")


def outbound_filter_apply(*, params: dict) -> QuerySet[Order]:
    """The outbound queue narrowed by a (saved) filter; unknown keys are refused."""
    from core.errors import NotFound, ValidationFailed
    from warehouses.models import OutboundFilter

    if not isinstance(params, dict):
        raise ValidationFailed(_("filter must be an object"), code="invalid_filter")
    if "saved" in params:
        saved = OutboundFilter.objects.filter(pk=params["saved"]).first() if str(
            params["saved"]).isdigit() else OutboundFilter.objects.filter(name=params["saved"]).first()
        if saved is None:
            raise NotFound(_("no saved filter %(name)r") % {"name": params["saved"]}, code="unknown_filter")
        params = {**saved.params, **{k: v for k, v in params.items() if k != "saved"}}
    unknown = sorted(set(params) - set(FILTER_KEYS))
    if unknown:
        raise ValidationFailed(_("unknown filter keys %(keys)s") % {"keys": unknown}, code="invalid_filter",
                               details={"allowed": list(FILTER_KEYS)})
    qs = outbound_queue()
    if params.get("status"):
        statuses = params["status"] if isinstance(params["status"], list) else [params["status"]]
        qs = qs.filter(status__in=[s for s in statuses if s in OUTBOUND_STATUSES])
    if params.get("warehouse"):
        qs = qs.filter(warehouse__code=params["warehouse"])
    if params.get("channel"):
        qs = qs.filter(channel=params["channel"])
    if params.get("shop"):
        qs = qs.filter(shop__code=params["shop"])
    if params.get("province"):
        qs = qs.filter(receiver_province=params["province"])
    if params.get("paid_before"):
        qs = qs.filter(paid_at__lt=params["paid_before"])
    if params.get("min_score") not in (None, ""):
        try:
            qs = qs.filter(priority_score__gte=int(params["min_score"]))
        except (TypeError, ValueError):
            raise ValidationFailed(_("min_score must be an integer"), code="invalid_filter") from None
    if params.get("limit") not in (None, ""):
        try:
            limit = int(params["limit"])
        except (TypeError, ValueError):
            raise ValidationFailed(_("limit must be an integer"), code="invalid_filter") from None
        qs = qs[:max(limit, 0)]
    return qs


def outbound_batch_list():
    from warehouses.models import OutboundBatch

    return OutboundBatch.objects.select_related("created_by").order_by("-created_at", "-id")


def outbound_batch_counts(*, batch) -> dict:
    from django.db.models import Count

    from warehouses.models import BatchOrder, Step

    by_step = dict(BatchOrder.objects.filter(batch=batch).values("step")
                   .annotate(n=Count("id")).values_list("step", "n"))
    counts = {"total": sum(by_step.values())}
    counts.update({step: by_step.get(step, 0) for step in Step.values})
    counts["done"] = counts[Step.TRACKED] + counts[Step.SHIPPED]
    return counts


def outbound_batch_items(*, batch, step: str | None = None):
    from warehouses.models import BatchOrder, Parcel

    qs = (BatchOrder.objects.filter(batch=batch)
          .select_related("order", "order__warehouse")
          .prefetch_related(Prefetch("parcels", queryset=Parcel.objects.select_related("wave")
                                     .order_by("package")))
          .order_by("-priority_score", "id"))
    if step:
        qs = qs.filter(step=step)
    return qs


def outbound_batch_waves(*, batch):
    from warehouses.models import PickListLine, Wave

    return (Wave.objects.filter(batch=batch).select_related("warehouse", "hot_sku")
            .defer("labels_pdf")
            .prefetch_related(Prefetch("pick_lines", queryset=PickListLine.objects
                                       .select_related("sku").order_by("position")))
            .order_by("seq"))
