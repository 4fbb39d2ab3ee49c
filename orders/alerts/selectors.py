"""Reads of alerts: lists, the board's counts, and the ``has_open_alert`` order filter."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import OPEN_Q, Alert, AlertKind

AGE_BUCKETS = (
    ("lt_1h", timedelta(hours=1)),
    ("lt_4h", timedelta(hours=4)),
    ("lt_24h", timedelta(hours=24)),
)


def alert_list(*, kind=None, severity=None, status=None, open=None, oid=None,
               assignee=None) -> QuerySet[Alert]:
    qs = Alert.objects.select_related("order", "assignee", "acknowledged_by")
    if kind:
        qs = qs.filter(kind=kind)
    if severity:
        qs = qs.filter(severity=severity)
    if status:
        qs = qs.filter(status=status)
    if open is not None:
        qs = qs.filter(OPEN_Q) if open else qs.exclude(OPEN_Q)
    if oid:
        qs = qs.filter(order__oid=oid)
    if assignee:
        qs = qs.filter(assignee__username=assignee)
    return qs


def alert_board_counts(*, now=None) -> list[dict]:
    """Open alerts per kind and age bucket (< 1 h, < 4 h, < 24 h, older): one query."""
    now = now or timezone.now()
    buckets = {}
    lower = None
    for name, age in AGE_BUCKETS:
        cond = Q(opened_at__gt=now - age)
        if lower is not None:
            cond &= Q(opened_at__lte=now - lower)
        buckets[name] = Count("id", filter=cond)
        lower = age
    buckets["older"] = Count("id", filter=Q(opened_at__lte=now - lower))
    rows = {r["kind"]: r for r in Alert.objects.filter(OPEN_Q).values("kind").annotate(
        total=Count("id"), unacknowledged=Count("id", filter=Q(status="open")), **buckets)}
    board = []
    for kind in AlertKind:
        row = rows.get(kind.value, {})
        board.append({"kind": kind.value, "label": kind.label,
                      "total": row.get("total", 0),
                      "unacknowledged": row.get("unacknowledged", 0),
                      **{name: row.get(name, 0) for name, _ in AGE_BUCKETS},
                      "older": row.get("older", 0)})
    return board


def filter_orders_by_open_alert(queryset, value: bool):
    """Registered in ``orders.alerts_registry`` for ``GET /api/v1/orders/?has_open_alert=``."""
    has = Exists(Alert.objects.filter(OPEN_Q, order=OuterRef("pk")))
    return queryset.filter(has) if value else queryset.exclude(has)
