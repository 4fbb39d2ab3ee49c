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
* hooks through ``orders.hooks.events_recorded_many`` / ``statuses_changed_many``: each
  app's set-based twin runs once for all orders; a handler without a twin is called per
  order exactly as the single-order path would call it.

Stock moves (reserve / release / consume) are in ``bulk_stock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from core.bulk import model_copy_many, to_json
from core.errors import Conflict, TransitionNotAllowed
from orders import hooks
from orders.choices import OrderStatus
from orders.models import Order, OrderEvent
from orders.services.events import order_status_event_type

S = OrderStatus


@dataclass
class Move:
    """One order's part of a bulk transition (kwargs for the method, extra payload)."""

    order: Order
    kwargs: dict = field(default_factory=dict)
    payload: dict = field(default_factory=dict)
    note: str = ""
    from_status: str = ""


def any_of(values, sqltype: str = "bigint") -> RawSQL:
    """``field__in=any_of(ids)``: thousands of values as one array parameter
    (``IN (SELECT unnest(…))``) — Django's ``__in`` writes one placeholder per value, which
    costs more to build and to parse than the query takes to run."""
    return RawSQL(f"SELECT unnest(%s::{sqltype}[])", (list(values),))


def require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bulk order changes run inside the caller's transaction")


# Large JSON documents a step that neither routes nor scores never reads (decoding them
# is most of the cost of loading an allocated order).
UNREAD_JSON = ("routing", "priority_breakdown", "invoice_request")


def orders_lock_many(*, ids, defer: tuple[str, ...] = ()) -> list[Order]:
    """Lock orders by primary key, in primary-key order (same order as ``order_lock``
    callers elsewhere effectively use: one row each), with what events need joined."""
    require_transaction()
    qs = (Order.objects.select_for_update(of=("self",)).filter(pk__in=any_of(ids))
          .select_related("shop", "warehouse").order_by("pk"))
    return list(qs.defer(*defer) if defer else qs)


def orders_versions(ids) -> dict[int, str]:
    """Each order row's version (``xmin``: the transaction that wrote it last).  Read at
    the end of the transaction that wrote the orders, it tells a later transaction whether
    anyone wrote them since (see :func:`orders_lock_known`)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM orders_order WHERE id = ANY(%s)", [list(ids)])
        return dict(cursor.fetchall())


def orders_lock_known(*, ids, known: dict[int, tuple[Order, str]],
                      defer: tuple[str, ...] = ()) -> list[Order]:
    """``orders_lock_many`` for orders this process still holds from the transaction that
    last wrote them (``known``: pk → (instance, version from :func:`orders_versions`)):
    the rows are locked in primary-key order and an instance is reused when its row
    version is unchanged — any other transaction's write gives the row a new one — the
    others are loaded again."""
    require_transaction()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM orders_order WHERE id = ANY(%s) "
                       "ORDER BY id FOR UPDATE", [list(ids)])
        rows = cursor.fetchall()
    reused = {pk: known[pk][0] for pk, version in rows
              if pk in known and known[pk][1] == version}
    loaded = {o.pk: o for o in orders_lock_many(ids=[pk for pk, _ in rows if pk not in reused],
                                                defer=defer)} if len(reused) < len(rows) else {}
    return [reused.get(pk) or loaded[pk] for pk, _ in rows]


def rows_update(*, table: str, rows: list[dict], columns: dict[str, str], set_sql: str,
                where: str = "", params=()) -> int:
    """``UPDATE table t SET … FROM jsonb_to_recordset(rows)``: one statement, one JSON
    parameter (serialised in C, parsed by the server) however many rows."""
    if not rows:
        return 0
    spec = ", ".join(f"{name} {sqltype}" for name, sqltype in columns.items())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} t SET {set_sql} FROM jsonb_to_recordset(%s::jsonb) AS v({spec}) "
            f"WHERE t.id = v.id {where}",
            [*params, to_json(rows)] if "%s" in set_sql else [to_json(rows), *params],
        )
        return cursor.rowcount


def orders_save_many(*, moves: list[Move], now=None, routing: bool = False,
                     routing_from: dict[int, int] | None = None) -> None:
    """Write status/warehouse/carrier/tracking (and ``routing``) of moved orders in one
    statement, only where the status is still the one we moved from (optimistic check).
    ``routing_from``: orders (pk → batch order pk) whose ``routing`` is their batch plan's
    — copied by the database, not sent."""
    if not moves:
        return
    now = now or timezone.now()
    routing_from = routing_from or {}
    rows = []
    for m in moves:
        row = {"id": m.order.pk, "prev": m.from_status, "status": m.order.status,
               "wh": m.order.warehouse_id, "carrier": m.order.carrier, "tn": m.order.tracking_no}
        if m.order.pk in routing_from:
            row["item"] = routing_from[m.order.pk]
        elif routing:
            row["routing"] = m.order.routing
        rows.append(row)
    columns = {"id": "bigint", "prev": "text", "status": "text", "wh": "bigint",
               "carrier": "text", "tn": "text", **({"routing": "jsonb"} if routing else {}),
               **({"item": "bigint"} if routing_from else {})}
    set_sql = ("status = v.status, warehouse_id = v.wh, carrier = v.carrier, "
               "tracking_no = v.tn, updated_at = %s")
    source = "jsonb_to_recordset(%s::jsonb) AS v({spec})"
    if routing_from:
        set_sql += ", routing = COALESCE(v.routing, b.plan -> 'routing')"
        source += " LEFT JOIN warehouses_batchorder b ON b.id = v.item"
    elif routing:
        set_sql += ", routing = v.routing"
    with connection.cursor() as cursor:
        spec = ", ".join(f"{k} {t}" for k, t in columns.items())
        cursor.execute(
            f"UPDATE orders_order t SET {set_sql} FROM {source.format(spec=spec)} "
            "WHERE t.id = v.id AND t.status = v.prev", [now, to_json(rows)])
        if cursor.rowcount != len(moves):
            raise Conflict(_("orders changed concurrently during a batch step"),
                           code="concurrent_transition")
    for m in moves:
        m.order.updated_at = now


def items_save_many(items, fields: tuple[str, ...] = ("step", "error_code", "error")) -> None:
    """Write the given fields of many ``BatchOrder`` rows (one statement)."""
    types = {"step": "text", "error_code": "text", "error": "text", "entry": "jsonb",
             "plan": "jsonb", "attempts": "int"}
    rows = [{"id": it.pk, **{f: getattr(it, f) for f in fields}} for it in items]
    set_sql = ", ".join(f"{f} = v.{f}" for f in fields) + ", updated_at = %s"
    rows_update(table="warehouses_batchorder", rows=rows,
                columns={"id": "bigint", **{f: types[f] for f in fields}}, set_sql=set_sql,
                params=(timezone.now(),))


_EVENT_COLUMNS = {"id", "order_id", "type", "actor_id", "source", "occurred_at", "payload"}


def _events(rows, user, source: str) -> list[OrderEvent]:
    """Unsaved ``OrderEvent`` rows, built with positional values (Django's fast path, the
    one ``from_db`` takes: a third of the keyword path's cost), ``event.order`` cached."""
    names = [f.attname for f in OrderEvent._meta.concrete_fields]
    if set(names) != _EVENT_COLUMNS:  # the model changed: the plain way
        return [OrderEvent(order=o, type=t, actor=user, source=source, payload=p)
                for o, t, p in rows]
    values = dict.fromkeys(names)
    values.update(actor_id=user.pk if user is not None else None, source=source)
    events = []
    for o, t, p in rows:
        values["order_id"], values["type"], values["payload"] = o.pk, t, p
        event = OrderEvent(*values.values())
        event._state.fields_cache["order"] = o
        if user is not None:
            event._state.fields_cache["actor"] = user
        events.append(event)
    return events


def order_events_record_many(*, rows: list[tuple[Order, str, dict]], actor=None,
                             source: str = "outbound") -> list[OrderEvent]:
    """``order_event_record`` for many events: one INSERT, then the hooks."""
    require_transaction()
    if not rows:
        return []
    user = actor if getattr(actor, "is_authenticated", False) else None
    events = model_copy_many(_events(rows, user, source), with_ids=True)
    hooks.events_recorded_many([(rows[i][0], event) for i, event in enumerate(events)])
    return events


def orders_transition_many(*, moves: list[Move], name: str, actor=None,
                           source: str = "outbound", extra_events=None, save: bool = True,
                           unsaved: dict[int, str] | None = None,
                           routing_from: dict[int, int] | None = None) -> list[Move]:
    """Apply transition ``name`` to every (locked) order of ``moves``; all or nothing.

    Two transitions in a row in one transaction (``allocate`` then ``start_picking``) may
    write the orders once: the first with ``save=False`` (events and hooks as usual, the
    row not written yet), the second with ``unsaved`` = {pk: status the row still has},
    which writes the final status (and ``routing``; ``routing_from``: see
    ``orders_save_many``) guarded by that status."""
    require_transaction()
    if not moves:
        return []
    for m in moves:
        method = getattr(m.order, name)
        if not can_proceed(method):
            raise TransitionNotAllowed(
                _("cannot %(name)s order %(oid)s in status %(status)s")
                % {"name": name, "oid": m.order.oid, "status": m.order.status},
                details={"status": m.order.status, "transition": name, "oid": str(m.order.oid)})
        m.from_status = m.order.status
        method(**m.kwargs)
    if unsaved:
        saving = [Move(order=m.order, from_status=unsaved.get(m.order.pk, m.from_status))
                  for m in moves]
        orders_save_many(moves=saving, routing=True, routing_from=routing_from)
    elif save:
        orders_save_many(moves=moves, routing=name == "allocate")
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
    hooks.statuses_changed_many(
        [hooks.StatusChange(order=m.order, from_status=m.from_status, to_status=m.order.status)
         for m in moves],
        actor=actor, source=source)
    return moves
