"""Detectors: each one is a *set-based* candidate query over all orders.

A detector returns SQL fragments whose rows are ``(order_id, severity, details)`` —
every order that should have an open alert of its kind right now.  The runner
(``services/detection.py``) turns them into one statement per kind that inserts the
missing alerts (``ON CONFLICT DO NOTHING``) and resolves the open alerts whose order
is no longer a candidate.  Nothing here writes; nothing loops over orders in Python.

``scope`` (a list of order ids, or ``None`` for all) narrows a run to the orders the
hooks marked; detectors that compare orders with each other (duplicates) ignore it.

Contract for reconciliation (issue 4): it records a timeline event
``order.reconcile_gap`` (payload: what differs) on an order whose platform data
disagrees with ours, and ``order.reconciled`` once they agree again — the
``reconcile_gap`` alert follows the latest of the two
(``orders.alerts.services.reconcile`` has the two service functions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, JSONObject, Length

from orders.choices import CustomerLevel, HoldReason, OrderStatus, RefundStatus
from orders.models import Order, OrderEvent, OrderLine

from .models import AlertKind, Severity, StuckRule

S = OrderStatus
ACTIVE = [S.PAID, S.ON_HOLD, S.APPROVED, S.ALLOCATED, S.PICKING]
BEFORE_PICKING = [S.PAID, S.ON_HOLD, S.APPROVED, S.ALLOCATED]
VALUED_LEVELS = [CustomerLevel.GOLD, CustomerLevel.VIP]

# address_suspect: shorter than this (characters, after trimming) is suspect.
ADDRESS_MIN_LENGTH = 6
# PO-box-like: 信箱 / 邮政信箱 / PO Box / P.O. Box / 邮局自提.
PO_BOX_REGEX = r"(信箱|邮局自提|p\.?\s*o\.?\s*box)"
# duplicate_suspect: orders this close in time (paid, else created) and at most this old.
DUPLICATE_WINDOW = timedelta(minutes=10)
DUPLICATE_LOOKBACK = timedelta(days=2)


@dataclass(frozen=True)
class Fragment:
    sql: str
    params: tuple


def _fragment(qs: QuerySet, severity, details) -> Fragment:
    rows = qs.annotate(a_order=F("pk"), a_severity=severity, a_details=details)
    sql, params = rows.values_list("a_order", "a_severity", "a_details").query.sql_with_params()
    return Fragment(sql, tuple(params))


def _scoped(qs: QuerySet, scope) -> QuerySet:
    return qs if scope is None else qs.filter(pk__in=scope)


def _sev(value: str) -> Value:
    return Value(str(value))


# ---------------------------------------------------------------------------- detectors


def stuck(*, now: datetime, scope=None) -> list[Fragment]:
    """In a state longer than its SLA (``StuckRule`` rows, editable in the admin)."""
    fragments = []
    for rule in StuckRule.objects.filter(active=True).order_by("status"):
        qs = _scoped(Order.objects.filter(status=rule.status), scope)
        limit = timedelta(minutes=rule.max_minutes)
        if rule.use_promised_ship_by:
            qs = qs.filter(promised_ship_by__lt=now - limit)
            since = F("promised_ship_by")
        else:
            entered = OrderEvent.objects.filter(
                order=OuterRef("pk"), type=f"order.{rule.status}"
            ).order_by("-id").values("occurred_at")[:1]
            qs = qs.alias(entered=Coalesce(Subquery(entered), "created_at")).filter(
                entered__lt=now - limit)
            since = F("entered")
        fragments.append(_fragment(qs, _sev(rule.severity), JSONObject(
            status=F("status"), since=since, sla_minutes=Value(rule.max_minutes),
            measured_from=Value("promised_ship_by" if rule.use_promised_ship_by else "entered"),
        )))
    return fragments


def status_mismatch(*, now: datetime, scope=None) -> list[Fragment]:
    """The platform says shipped/cancelled and we disagree: the latest
    ``order.status_mismatch`` event still holds (our status is not what the platform
    says, and the platform's raw status is still the one of that event)."""
    last = OrderEvent.objects.filter(order=OuterRef("pk"), type="order.status_mismatch").order_by("-id")
    flagged = OrderEvent.objects.filter(type="order.status_mismatch").values("order_id")
    qs = _scoped(Order.objects.filter(pk__in=flagged), scope).alias(
        says=Subquery(last.annotate(v=KT("payload__channel_says")).values("v")[:1]),
        raw=Subquery(last.annotate(v=KT("payload__channel")).values("v")[:1]),
    ).filter(raw=F("channel_status")).exclude(status=F("says"))
    return [_fragment(qs, _sev(Severity.HIGH), JSONObject(
        ours=F("status"), channel_says=F("says"), channel_status=F("channel_status")))]


def unknown_sku(*, now: datetime, scope=None) -> list[Fragment]:
    """A line the platform sent with a merchant code we do not know (sku is null)."""
    unknown = OrderLine.objects.filter(sku__isnull=True).exclude(refund_status=RefundStatus.REFUNDED)
    qs = _scoped(Order.objects.filter(status__in=ACTIVE, pk__in=unknown.values("order_id")), scope)
    from django.contrib.postgres.expressions import ArraySubquery

    codes = unknown.filter(order=OuterRef("pk")).order_by("line_no").values("merchant_code")
    return [_fragment(qs, _sev(Severity.HIGH), JSONObject(merchant_codes=ArraySubquery(codes)))]


def address_suspect(*, now: datetime, scope=None) -> list[Fragment]:
    """Missing district, a PO-box-like address, or one too short to deliver to.
    Masked (ciphertext) addresses are only checked for a missing district."""
    plain = Q(receiver_masked=False)
    short = plain & Q(short_len__lt=ADDRESS_MIN_LENGTH)
    po_box = plain & Q(receiver_address__iregex=PO_BOX_REGEX)
    missing = Q(receiver_district="")
    qs = _scoped(Order.objects.filter(status__in=BEFORE_PICKING), scope).alias(
        short_len=Length("receiver_address")).filter(missing | short | po_box)
    flag = lambda q: ExpressionWrapper(q, output_field=BooleanField())  # noqa: E731
    return [_fragment(qs, _sev(Severity.MEDIUM), JSONObject(
        missing_district=flag(missing), too_short=flag(short), po_box=flag(po_box)))]


_BUYER = """CASE WHEN {o}.receiver_phone <> ''
                   THEN 'p:' || {o}.receiver_phone || '|' || {o}.receiver_name
                   ELSE 'c:' || COALESCE({o}.customer_id::text, {o}.id::text) END"""


def duplicate_suspect(*, now: datetime, scope=None) -> list[Fragment]:
    """Same buyer (phone + name, else customer), same lines, same address, from another
    shop, within ``DUPLICATE_WINDOW`` of each other.  One self-join over the recent
    active orders (the lookback bounds it).  With a ``scope`` only the buyers of the
    scoped orders are compared; both sides of a pair become candidates."""
    order_t, line_t = Order._meta.db_table, OrderLine._meta.db_table
    statuses = [str(s) for s in BEFORE_PICKING]
    narrow, scope_params = "", ()
    if scope is not None:
        narrow = (f"AND {_BUYER.format(o='o')} IN (SELECT {_BUYER.format(o='s')} "
                  f"FROM {order_t} s WHERE s.id = ANY(%s))")
        scope_params = (list(scope),)
    sql = f"""
        WITH recent AS (
            SELECT o.id, o.oid, o.shop_id,
                   COALESCE(o.paid_at, o.channel_created_at, o.created_at) AS at,
                   {_BUYER.format(o='o')} AS buyer,
                   md5(o.receiver_province || '|' || o.receiver_city || '|'
                       || o.receiver_district || '|' || o.receiver_address) AS address,
                   (SELECT string_agg(COALESCE(l.sku_id::text, 'm:' || l.merchant_code)
                                      || 'x' || l.quantity, ','
                                      ORDER BY COALESCE(l.sku_id::text, 'm:' || l.merchant_code),
                                               l.quantity)
                      FROM {line_t} l WHERE l.order_id = o.id) AS lines
              FROM {order_t} o
             WHERE o.status = ANY(%s) AND o.created_at >= %s {narrow}
        )
        SELECT a.id, %s::text,
               jsonb_build_object('duplicates', jsonb_agg(b.oid::text ORDER BY b.id))
          FROM recent a
          JOIN recent b ON b.buyer = a.buyer AND b.address = a.address AND b.lines = a.lines
                       AND b.shop_id <> a.shop_id AND b.id <> a.id
                       AND b.at BETWEEN a.at - %s AND a.at + %s
         GROUP BY a.id
    """
    params = (statuses, now - DUPLICATE_LOOKBACK, *scope_params, str(Severity.MEDIUM),
              DUPLICATE_WINDOW, DUPLICATE_WINDOW)
    return [Fragment(sql, params)]


def delivery_failing(*, now: datetime, scope=None) -> list[Fragment]:
    """A delivery of one of the order's events was dead-lettered (retries exhausted)
    and no replay of it has succeeded since; a retry (back to pending) clears it."""
    try:
        Delivery = apps.get_model("subscribers", "Delivery")
    except LookupError:
        return []
    replayed = Delivery.objects.filter(replay_of=OuterRef("pk"), status="succeeded")
    dead = Delivery.objects.filter(status="dead", oid__isnull=False).exclude(Exists(replayed))
    qs = _scoped(Order.objects.filter(oid__in=dead.values("oid")), scope)
    from django.contrib.postgres.expressions import ArraySubquery

    names = dead.filter(oid=OuterRef("oid")).order_by().values("subscription__name").distinct()
    return [_fragment(qs, _sev(Severity.HIGH), JSONObject(subscriptions=ArraySubquery(names)))]


def invoice_rejected(*, now: datetime, scope=None) -> list[Fragment]:
    """The latest invoice request of the order was rejected by the tax gateway."""
    try:
        InvoiceRequest = apps.get_model("invoicing", "InvoiceRequest")
        Invoice = apps.get_model("invoicing", "Invoice")
    except LookupError:
        return []
    latest = InvoiceRequest.objects.filter(order=OuterRef("pk")).order_by("-created_at", "-id")
    rejected = InvoiceRequest.objects.filter(status="rejected").values("order_id")
    qs = _scoped(Order.objects.filter(pk__in=rejected), scope).alias(
        last_status=Subquery(latest.values("status")[:1]),
        last_id=Subquery(latest.values("pk")[:1]),
    ).filter(last_status="rejected")
    reason = Invoice.objects.filter(request=OuterRef("last_id"), status="rejected").order_by("-id")
    return [_fragment(qs, _sev(Severity.MEDIUM), JSONObject(
        request=F("last_id"), reject_code=Subquery(reason.values("reject_code")[:1]),
        reject_message=Subquery(reason.values("reject_message")[:1])))]


RECONCILE_TYPES = ("order.reconcile_gap", "order.reconciled")


def reconcile_gap(*, now: datetime, scope=None) -> list[Fragment]:
    """Reconciliation found a difference that is not settled yet: the latest of
    ``order.reconcile_gap`` / ``order.reconciled`` is a gap."""
    last = OrderEvent.objects.filter(order=OuterRef("pk"), type__in=RECONCILE_TYPES).order_by("-id")
    flagged = OrderEvent.objects.filter(type="order.reconcile_gap").values("order_id")
    qs = _scoped(Order.objects.filter(pk__in=flagged), scope).alias(
        last_type=Subquery(last.values("type")[:1]),
        last_payload=Subquery(last.values("payload")[:1]),
    ).filter(last_type="order.reconcile_gap")
    return [_fragment(qs, _sev(Severity.HIGH), JSONObject(gap=F("last_payload")))]


def out_of_stock(*, now: datetime, scope=None) -> list[Fragment]:
    """Held for ``out_of_stock``.  Valued customers (gold/VIP) get a high-severity
    alert whose options are computed right after it opens."""
    from django.db.models import Case, When

    qs = _scoped(Order.objects.filter(status=S.ON_HOLD, hold_reason=HoldReason.OUT_OF_STOCK), scope)
    valued = Q(customer__level__in=VALUED_LEVELS)
    severity = Case(When(valued, then=_sev(Severity.HIGH)), default=_sev(Severity.MEDIUM))
    flag = Case(When(valued, then=Value(True)), default=Value(False), output_field=BooleanField())
    return [_fragment(qs, severity, JSONObject(
        customer_level=Coalesce(F("customer__level"), Value(str(CustomerLevel.NORMAL))),
        valued=flag))]


DETECTORS = {
    AlertKind.STUCK: stuck,
    AlertKind.STATUS_MISMATCH: status_mismatch,
    AlertKind.UNKNOWN_SKU: unknown_sku,
    AlertKind.ADDRESS_SUSPECT: address_suspect,
    AlertKind.DUPLICATE_SUSPECT: duplicate_suspect,
    AlertKind.DELIVERY_FAILING: delivery_failing,
    AlertKind.INVOICE_REJECTED: invoice_rejected,
    AlertKind.RECONCILE_GAP: reconcile_gap,
    AlertKind.OUT_OF_STOCK: out_of_stock,
}
