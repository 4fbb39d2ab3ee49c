"""What pulls and reconciliation share: read a window completely, apply what is newer.

``list_window`` reads every page of a platform's incremental list for one window,
from the last page to the first where the platform says so (an order modified
while we page moves *out* of the window and shifts the rest towards page one:
read backwards, that shift only touches pages already read).

``sync_listed`` compares the list with the orders we hold and ingests the missing
and outdated ones — from the list itself when it carries full documents (JD, PDD,
Doudian), else through the detail API (Taobao).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from channels_adapters import selectors
from channels_adapters.models import Kind, Outcome
from channels_adapters.platforms import GatewayError, Platform, base
from channels_adapters.platforms.http import ListedOrder
from core.errors import DomainError
from orders.models import Shop
from orders.services.ingest import order_ingest

from .archive import inbound_message_archive

logger = logging.getLogger(__name__)
MAX_GAPS = 500


def list_window(*, platform: Platform, shop: Shop, start: datetime, end: datetime) -> list[ListedOrder]:
    """Every order of one window (the newest version per id); raises ``GatewayError``."""
    rules = platform.pull_rules
    size = rules.page_size
    first = platform.list_changed(shop=shop, start=start, end=end, page=rules.first_page, page_size=size)
    pages = max(1, math.ceil(first.total / size))
    found: dict[str, ListedOrder] = {}

    def keep(orders: list[ListedOrder]) -> None:
        for item in orders:
            seen = found.get(item.order_id)
            if seen is None or (item.modified and (seen.modified is None or item.modified > seen.modified)):
                found[item.order_id] = item

    if pages == 1:
        keep(first.orders)
        return list(found.values())
    keep(first.orders)
    if rules.backwards:  # the first call only told us how many pages there are
        numbers = range(rules.first_page + pages - 1, rules.first_page - 1, -1)
    else:
        numbers = range(rules.first_page + 1, rules.first_page + pages)
    for number in numbers:
        keep(platform.list_changed(shop=shop, start=start, end=end, page=number, page_size=size).orders)
    return list(found.values())


@dataclass
class SyncStats:
    checked: int = 0
    missing: int = 0
    missing_fixed: int = 0
    stale: int = 0
    stale_fixed: int = 0
    errors: int = 0
    gaps: list[dict] = field(default_factory=list)
    error_lines: list[str] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return self.missing_fixed + self.stale_fixed

    def add(self, other: SyncStats) -> None:
        for name in ("checked", "missing", "missing_fixed", "stale", "stale_fixed", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.gaps = (self.gaps + other.gaps)[:MAX_GAPS]
        self.error_lines = (self.error_lines + other.error_lines)[:200]


def _document(platform: Platform, shop: Shop, item: ListedOrder):
    if item.document is not None:
        return item.document
    return platform.fetch_order_detail(shop=shop, channel_order_id=item.order_id)


def sync_listed(*, platform: Platform, shop: Shop, listed: list[ListedOrder], source: str,
                fail_fast: bool) -> SyncStats:
    """Ingest what the list shows newer than what we hold.

    ``fail_fast``: a gateway error stops here and is raised (a pull must not move its
    cursor past it); otherwise it is counted and the next order is tried (reconcile).
    A document that cannot be parsed is archived as a rejected inbound message.
    """
    stats = SyncStats(checked=len(listed))
    held = selectors.order_versions(shop=shop, channel_order_ids=[x.order_id for x in listed])
    for item in listed:
        if item.order_id in held:
            have = held[item.order_id]
            if have is not None and (item.modified is None or have >= item.modified):
                continue
            kind = "stale"
        else:
            kind = "missing"
        setattr(stats, kind, getattr(stats, kind) + 1)
        gap = {"order_id": item.order_id, "kind": kind, "modified": item.modified.isoformat() if item.modified else None}
        try:
            document = _document(platform, shop, item)
            canonical = platform.parse_document(document, shop_code=shop.code)
            result = order_ingest(canonical=canonical, source=source)
        except GatewayError as exc:
            stats.errors += 1
            stats.error_lines.append(f"{item.order_id}: {exc}")
            if fail_fast:
                raise
            gap["error"] = str(exc)[:200]
        except DomainError as exc:
            stats.errors += 1
            stats.error_lines.append(f"{item.order_id}: {exc.code}: {exc.message}")
            _archive_rejected(platform, shop, item, f"{exc.code}: {exc.message}")
            gap["error"] = exc.code
        else:
            fixed = result.outcome in ("created", "updated")
            if fixed:
                name = "missing_fixed" if kind == "missing" else "stale_fixed"
                setattr(stats, name, getattr(stats, name) + 1)
            gap["outcome"] = result.outcome
        if len(stats.gaps) < MAX_GAPS:
            stats.gaps.append(gap)
        if kind == "stale" and source.startswith("reconcile"):
            _alert_follow_gap(shop, item.order_id, gap)
    return stats


def _alert_follow_gap(shop: Shop, channel_order_id: str, gap: dict) -> None:
    """A held order reconciliation could not bring up to date raises a ``reconcile_gap``
    alert (through the alerts app's hook); a later run that fixes it settles the alert."""
    from orders.alerts.services.reconcile import order_reconcile_gap_record, order_reconciled_record
    from orders.models import Order, OrderEvent

    order = Order.objects.filter(shop=shop, channel_order_id=channel_order_id).only("oid").first()
    if order is None:
        return
    if "error" in gap:
        order_reconcile_gap_record(order_oid=order.oid, differences=gap)
    elif OrderEvent.objects.filter(order=order, type="order.reconcile_gap").exists():
        order_reconciled_record(order_oid=order.oid)


def _archive_rejected(platform: Platform, shop: Shop, item: ListedOrder, error: str) -> None:
    body = base.dumps(item.document).encode("utf-8") if item.document is not None else b""
    with transaction.atomic():
        inbound_message_archive(platform=platform.name, kind=Kind.DOCUMENT, body=body, headers={}, shop=shop,
                                channel_order_id=item.order_id, outcome=Outcome.REJECTED, error=error)
    logger.warning("%s %s: listed order %s rejected: %s", platform.name, shop.code, item.order_id, error)
