"""Reads of the channel adapters."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from channels_adapters.models import InboundMessage, PullCursor, ReconcileRun
from orders.models import Order, Shop


def order_versions(*, shop: Shop, channel_order_ids: list[str]) -> dict[str, datetime | None]:
    """channel_order_id → the platform modified time we hold, for the ids we hold."""
    out: dict[str, datetime | None] = {}
    ids = list(dict.fromkeys(channel_order_ids))
    for i in range(0, len(ids), 1000):
        rows = Order.objects.filter(shop=shop, channel_order_id__in=ids[i:i + 1000]).values_list(
            "channel_order_id", "channel_modified_at")
        out.update(rows)
    return out


def sync_shops(*, channel: str | None = None, code: str | None = None) -> QuerySet[Shop]:
    """Active platform shops that have a gateway to talk to."""
    qs = Shop.objects.filter(active=True).exclude(api_base_url="").exclude(app_key="")
    qs = qs.filter(channel__in=["taobao", "jd", "pdd", "douyin"])
    if channel:
        qs = qs.filter(channel=channel)
    if code:
        qs = qs.filter(code=code)
    return qs.order_by("code")


def pull_cursor_list() -> QuerySet[PullCursor]:
    return PullCursor.objects.select_related("shop").order_by("shop__code", "kind")


def reconcile_run_list() -> QuerySet[ReconcileRun]:
    return ReconcileRun.objects.select_related("shop", "actor")


def inbound_message_status_list() -> QuerySet[InboundMessage]:
    """Archive rows for the status endpoint (no bodies, no headers)."""
    return InboundMessage.objects.select_related("order").only(
        "id", "platform", "kind", "shop_code", "channel_order_id", "received_at", "outcome", "error",
        "attempts", "processed_at", "order__oid", "order__status")
