"""Write events to the outbox — always inside the transaction of the change.

``outbox_publish`` stores the event and one ``Delivery`` per matching active
subscription; a relay run is kicked once per transaction *on commit*.  If that kick is
lost (worker down, broker hiccup) the scheduled sweeper finds the rows anyway: the rows,
not the message, are the source of truth.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from ..event_types import EVENT_TYPES, ORDER_EVENT_TYPES
from ..models import Delivery, OutboxEvent, Subscription
from ..policy import policy


def kick_pending_key() -> str:
    """The "a relay message is queued or a relay runs" flag (namespaced by database)."""
    from core.coalesce import namespaced

    return namespaced("subscribers:kick-pending")


def relay_kick() -> None:
    """Ask a worker to run the relay now (on commit; by a busy relay for help).

    Kicks coalesce: while one relay message waits in the queue, more would only find
    nothing to do, so a Redis flag (cleared by the run when it starts, expiring anyway)
    skips them.  A run that keeps finding full batches kicks a helper, so parallelism
    follows the backlog.
    """
    import redis as redis_lib

    from ..tasks import deliveries_relay_task
    from .ratelimit import redis_client

    try:
        if not redis_client().set(kick_pending_key(), 1, nx=True, px=2000):
            return
    except redis_lib.RedisError:
        pass  # no coalescing without Redis; the message itself is what matters
    deliveries_relay_task.send()


def _kick_on_commit() -> None:
    # One kick per transaction, however many events it wrote.
    if any(entry[1] is relay_kick for entry in connection.run_on_commit):
        return
    transaction.on_commit(relay_kick)


CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return str((value if isinstance(value, Decimal) else Decimal(value)).quantize(CENT))


def outbox_publish(*, type: str, oid: UUID | str | None, data: dict,
                   occurred_at: datetime | None = None) -> OutboxEvent:
    """Record one outgoing event and its deliveries (joins the caller's transaction)."""
    if type not in EVENT_TYPES:
        raise ValidationFailed(_("unknown event type %(type)r") % {"type": type}, code="unknown_event_type")
    if oid is not None and not isinstance(oid, UUID):
        oid = UUID(str(oid))
    # No savepoint: an outbox row must commit or roll back with the change that caused it,
    # and a failure here fails the caller's whole transaction (two round trips saved per event).
    with transaction.atomic(savepoint=False):
        event = OutboxEvent.objects.create(
            type=type, oid=oid, data=data, occurred_at=occurred_at or timezone.now()
        )
        subscription_ids = subscribers_by_type([type])[type]
        if subscription_ids:
            now = timezone.now()
            limit = policy("max_attempts")
            Delivery.objects.bulk_create(
                Delivery(subscription_id=pk, event=event, oid=oid, seq=event.pk, event_type=type,
                         next_attempt_at=now, attempt_limit=limit)
                for pk in subscription_ids
            )
            _kick_on_commit()
    return event


def subscribers_by_type(types) -> dict[str, list[int]]:
    """Ids of the active subscriptions of each event type (one query for all types)."""
    with connection.cursor() as cursor:  # plain SQL: this runs in every ingest transaction
        cursor.execute(f"SELECT id, event_types FROM {Subscription._meta.db_table} WHERE active")
        active = [(pk, wanted or []) for pk, wanted in cursor.fetchall()]  # text[] → list
    return {type_: [pk for pk, wanted in active if not wanted or type_ in wanted] for type_ in types}


def on_order_events_many(pairs) -> None:
    """Set-based twin of ``on_order_event`` for bulk paths (registered with it): the same
    ``OutboxEvent`` rows (same data, ids in the same per-order order) and ``Delivery`` rows,
    in a few statements however many events — rows written with ``COPY`` straight from
    tuples (a batch step writes tens of thousands: no model instances, no statement text)."""
    from core.bulk import ids_take, model_copy_many, rows_copy, to_json

    public = [(order, event) for order, event in pairs if event.type in ORDER_EVENT_TYPES]
    if not public:
        return
    subscribers_of = subscribers_by_type({event.type for _, event in public})
    deliver = any(subscribers_of.values())
    table = OutboxEvent._meta.db_table
    tz, now = timezone.get_current_timezone(), timezone.now()
    rows = [(uuid.uuid4(), event.type, order.oid,
             to_json(order_event_data(order=order, event=event, tz=tz)), event.occurred_at, now)
            for order, event in public]
    columns = ("event_id", "type", "oid", "data", "occurred_at", "created_at")
    if deliver:  # deliveries need the ids: taken first, in order
        ids = ids_take(table, "id", len(rows))
        rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        columns = ("id", *columns)
    rows_copy(table, columns, rows)
    if not deliver:
        return
    limit = policy("max_attempts")
    model_copy_many(
        [Delivery(subscription_id=pk, event_id=row[0], oid=row[3], seq=row[0], event_type=row[2],
                  next_attempt_at=now, attempt_limit=limit)
         for row in rows for pk in subscribers_of[row[2]]])
    _kick_on_commit()


def order_event_data(*, order, event, tz=None) -> dict:
    """The ``data`` of an order event: a snapshot of the order as of this change.
    ``tz``: the current time zone, when the caller builds many."""
    tz = tz or timezone.get_current_timezone()
    return {
        "channel": order.channel,
        "shop": order.shop.code,
        "channel_order_id": order.channel_order_id,
        "status": order.status,
        "channel_status": order.channel_status,
        "hold_reason": order.hold_reason,
        "refund_status": order.refund_status,
        "amounts": {
            "goods": _money(order.goods_amount),
            "discount": _money(order.discount_amount),
            "shipping": _money(order.shipping_amount),
            "paid": _money(order.paid_amount),
        },
        "currency": order.currency,
        "paid_at": order.paid_at.astimezone(tz).isoformat() if order.paid_at else None,
        "promised_ship_by": (order.promised_ship_by.astimezone(tz).isoformat()
                             if order.promised_ship_by else None),
        "warehouse": order.warehouse.code if order.warehouse_id else None,
        "carrier": order.carrier,
        "tracking_no": order.tracking_no,
        "source": event.source,
        "change": event.payload,
    }


def on_order_event(*, order, event) -> None:
    """``orders.hooks.on_event_recorded`` handler: public order events go to the outbox."""
    if event.type not in ORDER_EVENT_TYPES:
        return
    outbox_publish(type=event.type, oid=order.oid, data=order_event_data(order=order, event=event),
                   occurred_at=event.occurred_at)
