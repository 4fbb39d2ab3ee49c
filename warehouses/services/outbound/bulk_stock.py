"""Set-based stock moves for batch outbound: reserve, release, consume.

They follow the stock contract: order rows are locked first, stock rows through
``stock_levels_lock`` (primary-key order), counters move relative to their current value
(``reserved = reserved + n``) in one statement; the timeline events are those of
``stock_release`` / ``stock_consume``, written set-based.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import model_insert_many
from core.errors import Conflict
from orders import hooks
from orders.choices import OrderStatus
from orders.models import Order
from warehouses.models import Reservation
from warehouses.services.stock import stock_levels_lock

from .bulk import any_of, order_events_record_many, require_transaction, rows_update

S = OrderStatus


def _apply_counters(delta: dict[tuple[int, int], int], *, consume: bool) -> None:
    levels = stock_levels_lock(keys=delta)
    missing = [k for k in delta if k not in levels]
    if missing:
        raise Conflict(_("stock rows missing for reserved units"), code="stock_row_missing",
                       details={"keys": missing})
    on_hand = "on_hand - v.q" if consume else "on_hand"
    rows_update(table="warehouses_stocklevel",
                rows=[{"id": levels[k].pk, "q": delta[k]} for k in sorted(delta)],
                columns={"id": "bigint", "q": "int"},
                set_sql=f"reserved = reserved - v.q, on_hand = {on_hand}, updated_at = %s",
                params=(timezone.now(),))


def stock_reserve_many(*, reservations: list[Reservation], levels: dict | None = None) -> None:
    """Reserve for many orders at once.  The caller locked the orders, then the stock rows
    (``stock_levels_lock``) and checked availability on them: this only writes.
    ``levels``: the rows the caller locked (by key), so they are not locked a second time."""
    require_transaction()
    need: dict[tuple[int, int], int] = defaultdict(int)
    for r in reservations:
        need[(r.warehouse_id, r.sku_id)] += r.quantity
    if not need:
        return
    if levels is None or any(k not in levels for k in need):
        levels = stock_levels_lock(keys=need)
    rows_update(table="warehouses_stocklevel",
                rows=[{"id": levels[k].pk, "q": need[k]} for k in sorted(need)],
                columns={"id": "bigint", "q": "int"},
                set_sql="reserved = reserved + v.q, updated_at = %s", params=(timezone.now(),))
    model_insert_many(reservations)


class _Held(NamedTuple):
    pk: int
    order_id: int
    line_id: int
    warehouse_id: int
    sku_id: int
    quantity: int
    warehouse: str
    sku: str


def _take_reservations_many(orders: list[Order]):
    rows = [_Held(*row) for row in Reservation.objects.filter(order__in=any_of(o.pk for o in orders))
            .order_by("pk").values_list("pk", "order_id", "line_id", "warehouse_id", "sku_id",
                                        "quantity", "warehouse__code", "sku__code")]
    by_order: dict[int, list[_Held]] = defaultdict(list)
    delta: dict[tuple[int, int], int] = defaultdict(int)
    for r in rows:
        by_order[r.order_id].append(r)
        delta[(r.warehouse_id, r.sku_id)] += r.quantity
    return rows, by_order, delta


def _describe(rows: list[_Held]) -> list[dict]:
    return [{"line": r.line_id, "warehouse": r.warehouse, "sku": r.sku, "quantity": r.quantity}
            for r in rows]


def stock_release_many(*, orders: list[Order], actor=None, source: str = "outbound",
                       reason: str = "", consume: bool = False) -> int:
    """``stock_release`` / ``stock_consume`` for many locked orders: same rows, same events."""
    require_transaction()
    rows, by_order, delta = _take_reservations_many(orders)
    if not rows:
        return 0
    _apply_counters(delta, consume=consume)
    Reservation.objects.filter(pk__in=any_of(r.pk for r in rows)).delete()
    events = []
    for o in orders:
        mine = by_order.get(o.pk)
        if not mine:
            continue
        if consume:
            events.append((o, "order.stock_consumed", {"reservations": _describe(mine)}))
        else:
            events.append((o, "order.stock_released",
                           {"reason": reason, "reservations": _describe(mine)}))
    order_events_record_many(rows=events, actor=actor, source=source)
    return sum(delta.values())


def release_for_status_change_many(changes: list[hooks.StatusChange], *, actor,
                                   source: str) -> None:
    """Set-based twin of ``allocation.release_for_status_change`` (registered with it)."""
    fulfilment = (S.ALLOCATED, S.PICKING)
    cancelled = [c.order for c in changes if c.to_status == S.CANCELLED]
    back = [c.order for c in changes if c.to_status == S.APPROVED and c.from_status in fulfilment]
    shipped = [c.order for c in changes
               if c.to_status == S.SHIPPED and c.from_status in fulfilment]
    if cancelled:
        stock_release_many(orders=cancelled, actor=actor, source=source, reason="cancelled")
    if back:
        stock_release_many(orders=back, actor=actor, source=source, reason="unallocated")
        ids = [o.pk for o in back if o.warehouse_id is not None]
        if ids:
            Order.objects.filter(pk__in=ids).update(warehouse=None)
        for o in back:
            o.warehouse = None
    if shipped:
        stock_release_many(orders=shipped, actor=actor, source=source, consume=True)
