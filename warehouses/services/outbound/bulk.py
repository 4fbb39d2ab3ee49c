"""Set-based order transitions, timeline events and stock moves for batch outbound.

A batch moves thousands of orders through the same transition; doing it one order at a
time costs ~20 round trips per order.  These helpers do exactly what
``orders.services.transitions.order_apply_transition`` does — FSM transition on the
model (``can_proceed`` checked), save, timeline event, ``status_changed`` and
``event_recorded`` hooks, all in the caller's transaction — for many *locked* orders
with a handful of statements:

* one ``UPDATE … FROM unnest(…)`` guarded by the previous status (like
  ``ConcurrentTransitionMixin``);
* one ``bulk_create`` of the events;
* hooks: handlers with a set-based equivalent in :data:`_BULK_EVENT_HANDLERS` /
  :data:`_BULK_STATUS_HANDLERS` run once for all orders; every other registered handler
  is called per order exactly as the single-order path would call it.

Stock moves (reserve / release / consume) follow the stock contract: order rows are
locked first, stock rows through ``stock_levels_lock`` (primary-key order), counters move
relative to their current value (``reserved = reserved + n``) in one statement.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import can_proceed

from core.errors import Conflict, TransitionNotAllowed
from orders import hooks
from orders.choices import OrderStatus
from orders.models import Order, OrderEvent
from orders.services.events import order_status_event_type
from warehouses.models import Reservation
from warehouses.services.stock import stock_levels_lock

S = OrderStatus


@dataclass
class Move:
    """One order's part of a bulk transition (kwargs for the method, extra payload)."""

    order: Order
    kwargs: dict = field(default_factory=dict)
    payload: dict = field(default_factory=dict)
    note: str = ""
    from_status: str = ""


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bulk order changes run inside the caller's transaction")


def orders_lock_many(*, ids) -> list[Order]:
    """Lock orders by primary key, in primary-key order (same order as ``order_lock``
    callers elsewhere effectively use: one row each), with what events need joined."""
    _require_transaction()
    return list(Order.objects.select_for_update(of=("self",)).filter(pk__in=list(ids))
                .select_related("shop", "warehouse").order_by("pk"))


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def orders_save_many(*, moves: list[Move], now=None) -> None:
    """Write status/warehouse/routing/carrier/tracking of moved orders in one statement,
    only where the status is still the one we moved from (optimistic check)."""
    if not moves:
        return
    now = now or timezone.now()
    cols = ([], [], [], [], [], [], [])
    for m in moves:
        o = m.order
        for target, value in zip(cols, (o.pk, m.from_status, o.status, o.warehouse_id,
                                        _json(o.routing), o.carrier, o.tracking_no)):
            target.append(value)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE orders_order o SET status = v.status, warehouse_id = v.wh,
                   routing = v.routing::jsonb, carrier = v.carrier, tracking_no = v.tn,
                   updated_at = %s
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::text[],
                        %s::text[], %s::text[]) AS v(id, prev, status, wh, routing, carrier, tn)
            WHERE o.id = v.id AND o.status = v.prev
            """,
            [now, *cols],
        )
        if cursor.rowcount != len(moves):
            raise Conflict("orders changed concurrently during a batch step",
                           code="concurrent_transition")
    for m in moves:
        m.order.updated_at = now


def order_events_record_many(*, rows: list[tuple[Order, str, dict]], actor=None,
                             source: str = "outbound") -> list[OrderEvent]:
    """``order_event_record`` for many events: one INSERT, then the hooks."""
    _require_transaction()
    if not rows:
        return []
    user = actor if getattr(actor, "is_authenticated", False) else None
    events = OrderEvent.objects.bulk_create(
        OrderEvent(order=o, type=t, actor=user, source=source, payload=p) for o, t, p in rows
    )
    pairs = [(rows[i][0], event) for i, event in enumerate(events)]
    for handler in list(hooks._event_recorded):
        bulk = _BULK_EVENT_HANDLERS.get(_handler_key(handler))
        if bulk is not None:
            bulk(pairs)
        else:
            for order, event in pairs:
                handler(order=order, event=event)
    return events


def orders_transition_many(*, moves: list[Move], name: str, actor=None,
                           source: str = "outbound", extra_events=None) -> list[Move]:
    """Apply transition ``name`` to every (locked) order of ``moves``; all or nothing."""
    _require_transaction()
    if not moves:
        return []
    for m in moves:
        method = getattr(m.order, name)
        if not can_proceed(method):
            raise TransitionNotAllowed(
                f"cannot {name} order {m.order.oid} in status {m.order.status}",
                details={"status": m.order.status, "transition": name, "oid": str(m.order.oid)})
        m.from_status = m.order.status
        method(**m.kwargs)
    orders_save_many(moves=moves)
    rows = []
    for m in moves:
        body = {"from": m.from_status, "to": m.order.status, "transition": name}
        if m.kwargs:
            body["params"] = m.kwargs
        if m.note:
            body["note"] = m.note
        body.update(m.payload)
        rows.append((m.order, order_status_event_type(m.order.status), body))
    order_events_record_many(rows=rows, actor=actor, source=source)
    _status_changed_many(moves, actor=actor, source=source)
    return moves


def _status_changed_many(moves: list[Move], *, actor, source: str) -> None:
    for handler in list(hooks._status_changed):
        bulk = _BULK_STATUS_HANDLERS.get(_handler_key(handler))
        if bulk is not None:
            bulk(moves, actor=actor, source=source)
            continue
        for m in moves:
            handler(order=m.order, from_status=m.from_status, to_status=m.order.status,
                     actor=actor, source=source)


# ----------------------------------------------------------------------------- stock


def _apply_counters(delta: dict[tuple[int, int], int], *, consume: bool) -> None:
    levels = stock_levels_lock(keys=delta)
    missing = [k for k in delta if k not in levels]
    if missing:
        raise Conflict("stock rows missing for reserved units", code="stock_row_missing",
                       details={"keys": missing})
    ids = [levels[k].pk for k in sorted(delta)]
    qty = [delta[k] for k in sorted(delta)]
    on_hand = "on_hand - v.q" if consume else "on_hand"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE warehouses_stocklevel s SET reserved = reserved - v.q, on_hand = {on_hand},
                       updated_at = %s
                FROM unnest(%s::bigint[], %s::int[]) AS v(id, q) WHERE s.id = v.id""",
            [timezone.now(), ids, qty],
        )


def stock_reserve_many(*, reservations: list[Reservation]) -> None:
    """Reserve for many orders at once.  The caller locked the orders, then the stock rows
    (``stock_levels_lock``) and checked availability on them: this only writes."""
    _require_transaction()
    need: dict[tuple[int, int], int] = defaultdict(int)
    for r in reservations:
        need[(r.warehouse_id, r.sku_id)] += r.quantity
    if not need:
        return
    levels = stock_levels_lock(keys=need)
    ids = [levels[k].pk for k in sorted(need)]
    qty = [need[k] for k in sorted(need)]
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE warehouses_stocklevel s SET reserved = reserved + v.q, updated_at = %s
               FROM unnest(%s::bigint[], %s::int[]) AS v(id, q) WHERE s.id = v.id""",
            [timezone.now(), ids, qty],
        )
    Reservation.objects.bulk_create(reservations)


def _take_reservations_many(orders: list[Order]):
    rows = list(Reservation.objects.filter(order__in=[o.pk for o in orders])
                .select_related("warehouse", "sku").order_by("pk"))
    by_order: dict[int, list[Reservation]] = defaultdict(list)
    delta: dict[tuple[int, int], int] = defaultdict(int)
    for r in rows:
        by_order[r.order_id].append(r)
        delta[(r.warehouse_id, r.sku_id)] += r.quantity
    return rows, by_order, delta


def _describe(rows: list[Reservation]) -> list[dict]:
    return [{"line": r.line_id, "warehouse": r.warehouse.code, "sku": r.sku.code,
             "quantity": r.quantity} for r in rows]


def stock_release_many(*, orders: list[Order], actor=None, source: str = "outbound",
                       reason: str = "", consume: bool = False) -> int:
    """``stock_release`` / ``stock_consume`` for many locked orders: same rows, same events."""
    _require_transaction()
    rows, by_order, delta = _take_reservations_many(orders)
    if not rows:
        return 0
    _apply_counters(delta, consume=consume)
    Reservation.objects.filter(pk__in=[r.pk for r in rows]).delete()
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


def _release_for_status_change_many(moves: list[Move], *, actor, source: str) -> None:
    """Set-based twin of ``allocation.release_for_status_change``."""
    fulfilment = (S.ALLOCATED, S.PICKING)
    cancelled = [m.order for m in moves if m.order.status == S.CANCELLED]
    back = [m.order for m in moves if m.order.status == S.APPROVED and m.from_status in fulfilment]
    shipped = [m.order for m in moves if m.order.status == S.SHIPPED and m.from_status in fulfilment]
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


# ------------------------------------------------------------------- outbox (bulk twin)


def _outbox_publish_many(pairs) -> None:
    """Set-based twin of ``subscribers.services.outbox.on_order_event``: the same
    ``OutboxEvent`` rows (same data, same per-order order of ids) and ``Delivery`` rows."""
    from django.db.models import Q

    from channels_adapters.subscribers.event_types import ORDER_EVENT_TYPES
    from channels_adapters.subscribers.models import Delivery, OutboxEvent, Subscription
    from channels_adapters.subscribers.policy import policy
    from channels_adapters.subscribers.services import outbox

    public = [(o, e) for o, e in pairs if e.type in ORDER_EVENT_TYPES]
    if not public:
        return
    rows = OutboxEvent.objects.bulk_create(
        OutboxEvent(type=e.type, oid=o.oid, data=outbox.order_event_data(order=o, event=e),
                    occurred_at=e.occurred_at)
        for o, e in public
    )
    subs: dict[str, list[int]] = {}
    for t in {r.type for r in rows}:
        subs[t] = list(Subscription.objects.filter(active=True)
                       .filter(Q(event_types=[]) | Q(event_types__contains=[t]))
                       .values_list("pk", flat=True))
    if not any(subs.values()):
        return
    now, limit = timezone.now(), policy("max_attempts")
    Delivery.objects.bulk_create(
        Delivery(subscription_id=pk, event=r, oid=r.oid, seq=r.pk, event_type=r.type,
                 next_attempt_at=now, attempt_limit=limit)
        for r in rows for pk in subs[r.type]
    )
    outbox._kick_on_commit()


def _handler_key(handler) -> str:
    return f"{getattr(handler, '__module__', '')}.{getattr(handler, '__qualname__', '')}"


_BULK_EVENT_HANDLERS = {
    "channels_adapters.subscribers.services.outbox.on_order_event": _outbox_publish_many,
}
_BULK_STATUS_HANDLERS = {
    "warehouses.services.allocation.release_for_status_change": _release_for_status_change_many,
}
