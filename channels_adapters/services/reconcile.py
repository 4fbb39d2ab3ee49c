"""Reconciliation: the platform's incremental list against the orders we hold.

For each window of the platform's allowed size in [since, until] the whole list is
read; orders we do not hold are ingested (*missing*), orders we hold in an older
version are refreshed (*stale*).  Every run is recorded in ``ReconcileRun`` with
what it checked and the gaps it closed; gateway errors are counted and the run
goes on with the next window.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from channels_adapters import clock
from channels_adapters.models import ReconcileRun, ReconcileStatus
from channels_adapters.platforms import GatewayError, get_platform
from core.errors import ValidationFailed
from orders.models import Shop

from .sync import SyncStats, list_window, sync_listed

logger = logging.getLogger(__name__)
DEFAULT_SPAN = timedelta(hours=24)


def _windows(start: datetime, end: datetime, size: timedelta):
    while start < end:
        stop = min(start + size, end)
        yield start, stop
        start = stop


def reconcile_shop(*, shop: Shop, since: datetime | None = None, until: datetime | None = None,
                   trigger: str = "command", actor=None) -> ReconcileRun:
    platform = get_platform(shop.channel)
    if platform.pull_rules is None:
        raise ValidationFailed(_("%(channel)s shops cannot be reconciled") % {"channel": shop.channel}, code="not_reconcilable")
    until = until or clock.now()
    since = since or until - DEFAULT_SPAN
    since = max(since, until - platform.pull_rules.history + timedelta(minutes=5))
    if since >= until:
        raise ValidationFailed(_("since must be before until"), code="invalid_window")
    with transaction.atomic():
        run = ReconcileRun.objects.create(shop=shop, window_start=since, window_end=until, trigger=trigger,
                                          actor=actor if getattr(actor, "pk", None) else None)
    total, failed_windows, windows = SyncStats(), 0, 0
    for start, end in _windows(since, until, platform.pull_rules.max_window):
        windows += 1
        try:
            listed = list_window(platform=platform, shop=shop, start=start, end=end)
        except GatewayError as exc:
            failed_windows += 1
            total.errors += 1
            total.error_lines.append(f"window {start:%Y-%m-%d %H:%M}–{end:%H:%M}: {exc}")
            continue
        total.add(sync_listed(platform=platform, shop=shop, listed=listed, source=f"reconcile:{platform.name}",
                              fail_fast=False))
    status = ReconcileStatus.FAILED if windows and failed_windows == windows else ReconcileStatus.DONE
    ReconcileRun.objects.filter(pk=run.pk).update(
        status=status, checked=total.checked, missing_found=total.missing, missing_fixed=total.missing_fixed,
        stale_found=total.stale, stale_fixed=total.stale_fixed, errors=total.errors, gaps=total.gaps,
        error_log="\n".join(total.error_lines)[:20000], finished_at=clock.now(),
    )
    run.refresh_from_db()
    logger.info("reconcile %s: checked %s, missing %s/%s, stale %s/%s, errors %s", shop.code, run.checked,
                run.missing_fixed, run.missing_found, run.stale_fixed, run.stale_found, run.errors)
    return run


def reconcile_all(*, since: datetime | None = None, shop_code: str | None = None, trigger: str = "command",
                  actor=None, settle: timedelta = timedelta(0)) -> list[ReconcileRun]:
    """Every active platform shop (or one).  ``settle``: leave the last minutes to the pushes
    still on their way, so the scheduled run reports real gaps rather than messages in flight."""
    from channels_adapters.selectors import sync_shops

    until = clock.now() - settle

    shops = list(sync_shops(code=shop_code))
    if shop_code and not shops:
        raise ValidationFailed(_("no active platform shop %(shop)r with a gateway") % {"shop": shop_code}, code="unknown_shop")
    return [reconcile_shop(shop=shop, since=since, until=until, trigger=trigger, actor=actor) for shop in shops]


def reconcile_request(*, shops: list[Shop], since: datetime | None, actor=None) -> int:
    """Queue one reconciliation per shop (admin "run now"); returns how many were queued."""
    from channels_adapters.tasks import reconcile_shop_task
    from core.tasks_util import enqueue_on_commit

    with transaction.atomic():
        for shop in shops:
            enqueue_on_commit(reconcile_shop_task, shop.pk, since.isoformat() if since else None,
                              getattr(actor, "pk", None))
    return len(shops)
