"""Order hooks → "re-check this order" marks.

The handlers run inside the ingest / transition transaction, so they do the least
possible there: at most ONE ``INSERT … ON CONFLICT DO NOTHING`` of the order id into
``alerts_dirtyorder`` per order and transaction, plus an on-commit kick of the drain
actor that is throttled per process.  Detection itself runs set-based in the actor
(``alerts_detect_marked``) — and the periodic full scan catches anything a mark missed.
"""

from __future__ import annotations

import time
from functools import partial

from django.db import connection, transaction

from ..models import DirtyOrder

# Timeline events that can open or close an alert without a status change.
TRIGGER_EVENTS = frozenset({
    "order.status_mismatch", "order.reconcile_gap", "order.reconciled", "order.refund_changed",
    "order.lines_substituted",
})
KICK_INTERVAL_SECONDS = 1.0
_last_kick = [0.0]

_SQL = (f"INSERT INTO {DirtyOrder._meta.db_table} (order_id, marked_at) "
        "VALUES (%s, now()) ON CONFLICT DO NOTHING")


def order_mark_for_alerts(*, order) -> None:
    """Mark ``order`` for re-evaluation (inside the caller's transaction).

    The same order instance is marked once per transaction (both hooks fire for a
    status change): the flag on the instance is cleared when the transaction commits.
    """
    if getattr(order, "_alerts_marked", False):
        return
    order._alerts_marked = True
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [order.pk])
    transaction.on_commit(partial(_committed, order))


def _committed(order) -> None:
    order._alerts_marked = False
    _kick()


def mark_on_status_changed(*, order, from_status, to_status, actor, source) -> None:
    order_mark_for_alerts(order=order)


def mark_on_status_changed_many(changes, *, actor, source) -> None:
    """Set-based twin of ``mark_on_status_changed`` (registered with it): one INSERT of the
    marks, one on-commit callback for all orders."""
    fresh = [c.order for c in changes if not getattr(c.order, "_alerts_marked", False)]
    if not fresh:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {DirtyOrder._meta.db_table} (order_id, marked_at) "
                       "SELECT unnest(%s::bigint[]), now() ON CONFLICT DO NOTHING",
                       [[order.pk for order in fresh]])
    for order in fresh:
        order._alerts_marked = True
    transaction.on_commit(partial(_committed_many, fresh))


def _committed_many(orders) -> None:
    for order in orders:
        order._alerts_marked = False
    _kick()


def mark_on_event_recorded(*, order, event) -> None:
    if event.type in TRIGGER_EVENTS:
        order_mark_for_alerts(order=order)


def _kick() -> None:
    """Send the drain actor at most once per ``KICK_INTERVAL_SECONDS`` per process; the
    message is delayed by that interval so one drain picks up a whole burst."""
    now = time.monotonic()
    if now - _last_kick[0] < KICK_INTERVAL_SECONDS:
        return
    _last_kick[0] = now
    from ..tasks import alerts_detect_marked_task

    alerts_detect_marked_task.send_with_options(delay=int(KICK_INTERVAL_SECONDS * 1000))
