"""Incremental pulls by modified time, one cursor per shop.

A run takes a lease on the shop's cursor (no lock is held during network I/O),
reads windows of the platform's allowed size from ``position − OVERLAP`` up to
``now − end_lag`` (PDD: 3 minutes), and moves ``position`` to the end of each
window only after that window was read and applied completely.  A failing call
leaves the cursor where it was, so the next run reads the window again; restarts
lose nothing because the cursor lives in the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from channels_adapters import clock
from channels_adapters.models import PullCursor
from channels_adapters.platforms import GatewayError, get_platform
from orders.models import Shop

from .sync import SyncStats, list_window, sync_listed

logger = logging.getLogger(__name__)
OVERLAP = timedelta(seconds=60)  # re-read the edge of the last window: late index entries
LEASE = timedelta(minutes=5)
INITIAL_LOOKBACK = timedelta(hours=1)
KIND = "increment"


@dataclass
class PullResult:
    shop: str
    windows: int = 0
    listed: int = 0
    ingested: int = 0
    error: str = ""
    busy: bool = False


def _lease(cursor: PullCursor) -> bool:
    now = clock.now()
    return bool(PullCursor.objects.filter(pk=cursor.pk).filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    ).update(leased_until=now + LEASE, last_run_at=now))


def pull_cursor_get(*, shop: Shop) -> PullCursor:
    cursor, _ = PullCursor.objects.get_or_create(shop=shop, kind=KIND)
    return cursor


def channel_pull(*, shop: Shop, until=None) -> PullResult:
    """Pull everything the shop's platform changed since the cursor; see the module doc."""
    platform = get_platform(shop.channel)
    rules = platform.pull_rules
    result = PullResult(shop=shop.code)
    cursor = pull_cursor_get(shop=shop)
    if not _lease(cursor):
        result.busy = True
        return result
    now = clock.now()
    horizon = (until or now) - rules.end_lag
    lookback = getattr(settings, "LIUZHUAN_PULL_INITIAL_LOOKBACK", INITIAL_LOOKBACK)
    start = cursor.position - OVERLAP if cursor.position else horizon - lookback
    start = max(start, now - rules.history + timedelta(minutes=5))
    source = f"pull:{platform.name}"
    try:
        while start < horizon:
            end = min(start + rules.max_window, horizon)
            listed = list_window(platform=platform, shop=shop, start=start, end=end)
            stats: SyncStats = sync_listed(platform=platform, shop=shop, listed=listed, source=source,
                                           fail_fast=True)
            with transaction.atomic():
                PullCursor.objects.filter(pk=cursor.pk).update(
                    position=end, last_success_at=clock.now(), last_error="",
                    orders_ingested=F("orders_ingested") + stats.applied,
                )
            result.windows += 1
            result.listed += len(listed)
            result.ingested += stats.applied
            start = end
    except GatewayError as exc:
        result.error = str(exc)[:2000]
        PullCursor.objects.filter(pk=cursor.pk).update(last_error=result.error)
        logger.warning("pull %s: %s (cursor stays at %s)", shop.code, exc, cursor.position)
    finally:
        PullCursor.objects.filter(pk=cursor.pk).update(leased_until=None)
    return result


def channel_pull_all(*, channel: str) -> list[PullResult]:
    from channels_adapters.selectors import sync_shops

    return [channel_pull(shop=shop) for shop in sync_shops(channel=channel)]


def channel_pull_request(*, shops: list[Shop]) -> int:
    """Queue a pull for each shop now (admin action)."""
    from channels_adapters.tasks import channel_pull_shop_task
    from core.tasks_util import enqueue_on_commit

    with transaction.atomic():
        for shop in shops:
            enqueue_on_commit(channel_pull_shop_task, shop.pk)
    return len(shops)
