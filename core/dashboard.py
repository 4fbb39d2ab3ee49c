"""The staff dashboard: a few cheap aggregate queries, cached, rendered on the admin index.

Apps add tiles with ``register(key, builder)``; a builder returns a ``Tile`` (or None).
Every tile links to the changelist filtered to what it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orders.choices import Channel, OrderStatus
from orders.models import Order, OrderEvent

CACHE_SECONDS = 60
BACKLOG = [OrderStatus.PAID, OrderStatus.ON_HOLD, OrderStatus.APPROVED, OrderStatus.ALLOCATED,
           OrderStatus.PICKING]
AGE_BUCKETS = [(0, 1), (1, 4), (4, 24), (24, None)]  # hours


@dataclass
class Tile:
    key: str
    title: str
    value: str = ""
    note: str = ""
    link: str = ""
    chart: dict | None = None  # {"type": "bar"|"doughnut", "labels": [...], "data": [...], "links": [...]}
    rows: list = field(default_factory=list)  # [(label, value, link)]


_builders: dict[str, Callable[[datetime], Tile | None]] = {}


def register(key: str, builder: Callable[[datetime], Tile | None]) -> None:
    _builders[key] = builder


def _orders_url(**params) -> str:
    url = reverse("admin:orders_order_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.min))


def tile_orders_today(now: datetime) -> Tile:
    start = _day_start(now)
    rows = (Order.objects.filter(created_at__gte=start).values("status", "channel")
            .annotate(n=Count("id")).order_by())
    by_status: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["n"]
    since = {"created_at__gte": start.isoformat()}
    statuses = [s for s in OrderStatus if by_status.get(s)]
    return Tile(
        key="orders_today", title=_("Orders today"), value=str(sum(by_status.values())),
        link=_orders_url(**since),
        chart={"type": "bar", "labels": [str(s.label) for s in statuses],
               "data": [by_status[s] for s in statuses],
               "links": [_orders_url(status__exact=s.value, **since) for s in statuses]},
        rows=[(str(c.label), by_channel[c.value], _orders_url(channel__exact=c.value, **since))
              for c in Channel if by_channel.get(c.value)],
    )


def tile_backlog(now: datetime) -> Tile:
    labels, data, links = [], [], []
    rows = []
    counts = dict(Order.objects.filter(status__in=BACKLOG).values_list("status").annotate(Count("id"))
                  .order_by())
    for low, high in AGE_BUCKETS:
        qs = Order.objects.filter(status__in=BACKLOG, created_at__lte=now - timedelta(hours=low))
        params = {"status__in": ",".join(BACKLOG),
                  "created_at__lt": (now - timedelta(hours=low)).isoformat()}
        if high is not None:
            qs = qs.filter(created_at__gt=now - timedelta(hours=high))
            params["created_at__gte"] = (now - timedelta(hours=high)).isoformat()
            labels.append(_("%(low)s–%(high)s h") % {"low": low, "high": high})
        else:
            labels.append(_("> %(low)s h") % {"low": low})
        data.append(qs.count())
        links.append(_orders_url(**params))
    for status in BACKLOG:
        rows.append((str(OrderStatus(status).label), counts.get(status, 0),
                     _orders_url(status__exact=status)))
    return Tile(key="backlog", title=_("Backlog by age"), value=str(sum(counts.values())),
                chart={"type": "bar", "labels": labels, "data": data, "links": links}, rows=rows)


def tile_sync_lag(now: datetime) -> Tile:
    """Platform modified → ingested, for orders we created or updated in the last hour."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY lag)
            FROM (SELECT extract(epoch FROM updated_at - channel_modified_at) AS lag
                  FROM orders_order
                  WHERE updated_at >= %s AND channel_modified_at IS NOT NULL) t
            """,
            [now - timedelta(hours=1)],
        )
        n, p50, p95 = cursor.fetchone()
    value = "—" if not n else f"p50 {p50:.1f}s · p95 {p95:.1f}s"
    return Tile(key="sync_lag", title=_("Sync lag, last hour"), value=value,
                note=_("%(n)s orders") % {"n": n},
                link=_orders_url(updated_at__gte=(now - timedelta(hours=1)).isoformat()))


def tile_outbound(now: datetime) -> Tile:
    start = _day_start(now)
    rows = (OrderEvent.objects.filter(type="order.shipped", occurred_at__gte=start)
            .values("order__warehouse_id", "order__warehouse__code").annotate(n=Count("id"))
            .order_by("-n"))
    labels = [row["order__warehouse__code"] or _("unassigned") for row in rows]
    data = [row["n"] for row in rows]
    links = [
        _orders_url(status__exact="shipped", warehouse__id__exact=row["order__warehouse_id"])
        if row["order__warehouse_id"] else _orders_url(status__exact="shipped",
                                                        warehouse__isnull="True")
        for row in rows
    ]
    return Tile(key="outbound", title=_("Shipped today by warehouse"), value=str(sum(data)),
                link=_orders_url(status__exact="shipped"),
                chart={"type": "bar", "labels": labels, "data": data, "links": links})


register("orders_today", tile_orders_today)
register("backlog", tile_backlog)
register("sync_lag", tile_sync_lag)
register("outbound", tile_outbound)


def dashboard_tiles(*, now: datetime | None = None, use_cache: bool = True) -> list[dict]:
    key = f"liuzhuan:dashboard:{translation.get_language()}"
    if use_cache:
        cached = cache.get(key)
        if cached is not None:
            return cached
    now = now or timezone.now()
    tiles = []
    for builder in _builders.values():
        tile = builder(now)
        if tile is not None:
            tiles.append(asdict(tile))
    if use_cache:
        cache.set(key, tiles, CACHE_SECONDS)
    return tiles
