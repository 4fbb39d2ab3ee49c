"""Stock counters: reserve, release, consume, and absolute levels from a WMS.

Concurrency contract — every caller relies on it:

* All functions run inside a transaction (their own, or the caller's; the ones that
  take an ``order`` require the caller to hold that order's row lock, taken with
  ``orders.services.transitions.order_lock`` *before* any stock row is locked).
* ``StockLevel`` rows are locked only by :func:`stock_levels_lock`, always in primary
  key order, so two transactions that need the same rows queue instead of deadlocking.
* Counters change only with ``F()`` expressions under those locks; the database check
  constraints (``0 <= reserved <= on_hand``) are the last line of defence.
* No network I/O happens while a lock is held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, ValidationFailed
from orders.models import Order, OrderLine, Sku
from orders.services.events import order_event_record
from warehouses.models import Reservation, StockLevel, StockSync, Warehouse

Key = tuple[int, int]  # (warehouse_id, sku_id)


class InsufficientStock(Conflict):
    """Not enough available stock; ``details["shortages"]`` lists every short line."""

    code = "insufficient_stock"


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stock counters move only inside a transaction")


def stock_levels_lock(*, keys: Iterable[Key]) -> dict[Key, StockLevel]:
    """Lock the stock rows of ``keys`` in primary-key order; missing rows are absent.

    The one place that takes stock row locks: every path that moves counters calls it.
    """
    _require_transaction()
    wanted = set(keys)
    if not wanted:
        return {}
    # The keys travel as two arrays (one join) rather than an OR of pairs: a batch locks
    # thousands of rows, and an OR of that size costs more to build and plan than to run.
    pairs = sorted(wanted)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id FROM {StockLevel._meta.db_table} s "
            "JOIN unnest(%s::bigint[], %s::bigint[]) AS k(warehouse_id, sku_id) "
            "ON s.warehouse_id = k.warehouse_id AND s.sku_id = k.sku_id",
            [[key[0] for key in pairs], [key[1] for key in pairs]])
        ids = [row[0] for row in cursor.fetchall()]
    rows = StockLevel.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    return {(row.warehouse_id, row.sku_id): row for row in rows}


@dataclass(frozen=True)
class LineAllocation:
    """One order line shipped (whole) from one warehouse."""

    line: OrderLine
    warehouse: Warehouse


def stock_reserve(
    *, order: Order, allocations: Sequence[LineAllocation], actor=None
) -> list[Reservation]:
    """Reserve every allocation or nothing; all shortages are reported in one exception.

    The caller holds the order lock and records the outcome (the ``allocate`` event).
    """
    _require_transaction()
    if Reservation.objects.filter(order=order).exists():
        raise Conflict(_("the order already holds reservations"), code="already_reserved")
    need: dict[Key, int] = defaultdict(int)
    names: dict[Key, tuple[str, str]] = {}
    for alloc in allocations:
        if alloc.line.sku_id is None:
            raise ValidationFailed(_("line %(line)s has no known SKU") % {"line": alloc.line.line_no}, code="unknown_sku")
        key = (alloc.warehouse.pk, alloc.line.sku_id)
        need[key] += alloc.line.quantity
        names[key] = (alloc.warehouse.code, alloc.line.sku.code)
    levels = stock_levels_lock(keys=need)
    shortages = []
    for key, quantity in sorted(need.items()):
        level = levels.get(key)
        available = level.available if level else 0
        if available < quantity:
            warehouse, sku = names[key]
            shortages.append({"warehouse": warehouse, "sku": sku, "requested": quantity,
                              "available": available})
    if shortages:
        raise InsufficientStock(
            _("not enough stock for %(n)d SKU(s)") % {"n": len(shortages)}, details={"shortages": shortages}
        )
    now = timezone.now()
    for key, quantity in sorted(need.items()):
        StockLevel.objects.filter(pk=levels[key].pk).update(
            reserved=F("reserved") + quantity, updated_at=now
        )
    return Reservation.objects.bulk_create(
        Reservation(order=order, line=a.line, warehouse=a.warehouse, sku_id=a.line.sku_id,
                    quantity=a.line.quantity)
        for a in allocations
    )


def _take_reservations(order: Order) -> tuple[list[Reservation], dict[Key, int]]:
    rows = list(
        Reservation.objects.filter(order=order).select_related("warehouse", "sku").order_by("pk")
    )
    need: dict[Key, int] = defaultdict(int)
    for row in rows:
        need[(row.warehouse_id, row.sku_id)] += row.quantity
    return rows, need


def _describe(rows: list[Reservation]) -> list[dict]:
    return [{"line": r.line_id, "warehouse": r.warehouse.code, "sku": r.sku.code,
             "quantity": r.quantity} for r in rows]


def stock_release(*, order: Order, actor=None, source: str = "system", reason: str = "") -> int:
    """Give back everything ``order`` holds (cancel, unallocate, rollback).  Idempotent.

    Returns the number of units released.  Caller holds the order lock.
    """
    _require_transaction()
    rows, need = _take_reservations(order)
    if not rows:
        return 0
    levels = stock_levels_lock(keys=need)
    now = timezone.now()
    for key, quantity in sorted(need.items()):
        StockLevel.objects.filter(pk=levels[key].pk).update(
            reserved=F("reserved") - quantity, updated_at=now
        )
    Reservation.objects.filter(pk__in=[r.pk for r in rows]).delete()
    order_event_record(order=order, type="order.stock_released", actor=actor, source=source,
                       payload={"reason": reason, "reservations": _describe(rows)})
    return sum(need.values())


def stock_consume(*, order: Order, actor=None, source: str = "system") -> int:
    """The goods left the building: on_hand and reserved both drop.  Caller holds the lock."""
    _require_transaction()
    rows, need = _take_reservations(order)
    if not rows:
        return 0
    levels = stock_levels_lock(keys=need)
    now = timezone.now()
    for key, quantity in sorted(need.items()):
        StockLevel.objects.filter(pk=levels[key].pk).update(
            on_hand=F("on_hand") - quantity, reserved=F("reserved") - quantity, updated_at=now
        )
    Reservation.objects.filter(pk__in=[r.pk for r in rows]).delete()
    order_event_record(order=order, type="order.stock_consumed", actor=actor, source=source,
                       payload={"reservations": _describe(rows)})
    return sum(need.values())


# ---------------------------------------------------------------------- absolute levels


@dataclass(frozen=True)
class LevelIn:
    warehouse: str
    sku: str
    on_hand: int


@dataclass(frozen=True)
class SyncResult:
    sync: StockSync
    outcome: str  # applied | duplicate


def _resolve(levels: Sequence[LevelIn]) -> list[tuple[Warehouse, Sku, int]]:
    """Validate every row; all problems are reported together, nothing is written."""
    warehouses = {w.code: w for w in Warehouse.objects.filter(code__in={x.warehouse for x in levels})}
    skus = {s.code: s for s in Sku.objects.filter(code__in={x.sku for x in levels})}
    problems, seen, resolved = [], set(), []
    for index, row in enumerate(levels):
        if isinstance(row.on_hand, bool) or not isinstance(row.on_hand, int):
            problems.append({"index": index, "code": "invalid_on_hand", "field": "on_hand",
                             "message": "on_hand must be an integer"})
        elif row.on_hand < 0:
            problems.append({"index": index, "code": "negative_on_hand", "field": "on_hand",
                             "message": f"on_hand {row.on_hand} is negative"})
        if row.warehouse not in warehouses:
            problems.append({"index": index, "code": "unknown_warehouse", "field": "warehouse",
                             "message": f"unknown warehouse {row.warehouse!r}"})
        if row.sku not in skus:
            problems.append({"index": index, "code": "unknown_sku", "field": "sku",
                             "message": f"unknown SKU {row.sku!r}"})
        if (row.warehouse, row.sku) in seen:
            problems.append({"index": index, "code": "duplicate_level", "field": "sku",
                             "message": f"{row.warehouse}/{row.sku} appears twice"})
        seen.add((row.warehouse, row.sku))
        if not problems or problems[-1]["index"] != index:
            resolved.append((warehouses[row.warehouse], skus[row.sku], row.on_hand))
    if problems:
        raise ValidationFailed(
            _("%(n)d problem(s) in the stock levels; nothing was applied") % {"n": len(problems)},
            code=problems[0]["code"], details={"problems": problems},
        )
    return resolved


def _apply_levels(rows: list[tuple[Warehouse, Sku, int]]) -> int:
    """Set absolute on-hand levels under row locks; refuse to go below what is reserved."""
    StockLevel.objects.bulk_create(
        [StockLevel(warehouse=w, sku=s, on_hand=0) for w, s, _ in rows], ignore_conflicts=True
    )
    levels = stock_levels_lock(keys=[(w.pk, s.pk) for w, s, _ in rows])
    problems = [
        {"warehouse": w.code, "sku": s.code, "on_hand": n, "reserved": levels[(w.pk, s.pk)].reserved,
         "code": "below_reserved"}
        for w, s, n in rows if n < levels[(w.pk, s.pk)].reserved
    ]
    if problems:
        raise ValidationFailed(
            _("on-hand levels below what is already reserved; nothing was applied"),
            code="below_reserved", details={"problems": problems},
        )
    now, changed = timezone.now(), 0
    for w, s, n in rows:
        level = levels[(w.pk, s.pk)]
        if level.on_hand != n:
            StockLevel.objects.filter(pk=level.pk).update(on_hand=n, updated_at=now)
            changed += 1
    return changed


def stock_sync(*, sync_id: str, levels: Sequence[LevelIn], actor=None,
               source: str = "api") -> SyncResult:
    """Apply a WMS report of absolute on-hand levels: all rows or none, once per ``sync_id``."""
    sync_id = (sync_id or "").strip()
    if not sync_id or len(sync_id) > 128:
        raise ValidationFailed(_("sync_id must be 1–128 characters"), code="invalid_sync_id")
    if not levels:
        raise ValidationFailed(_("levels must not be empty"), code="empty_sync")
    previous = StockSync.objects.filter(sync_id=sync_id).first()
    if previous is not None:
        return SyncResult(sync=previous, outcome="duplicate")
    rows = _resolve(levels)
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        try:
            with transaction.atomic():
                sync = StockSync.objects.create(sync_id=sync_id, source=source, actor=user,
                                                rows=len(rows))
        except IntegrityError:
            return SyncResult(sync=StockSync.objects.get(sync_id=sync_id), outcome="duplicate")
        sync.changed = _apply_levels(rows)
        sync.save(update_fields=["changed"])
    return SyncResult(sync=sync, outcome="applied")


def stock_level_set(*, warehouse: str, sku: str, on_hand: int, actor=None) -> int:
    """Set one absolute level (CSV import row); same checks as a sync.  Returns rows changed."""
    rows = _resolve([LevelIn(warehouse=warehouse, sku=sku, on_hand=on_hand)])
    with transaction.atomic():
        return _apply_levels(rows)
