"""The sandbox platforms' state: order documents and the messages they push.

Documents are kept as JSON text (big ids stay exact) next to the platform-neutral
state they were rendered from.  Everything here is the *fake platform's* side;
none of it touches our orders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q

from channels_adapters import clock
from channels_adapters.models import SandboxDocument, SandboxMessage
from orders.models import Shop


def sandbox_document_put(*, platform: str, app_key: str, order_id: str, body: str,
                         state: dict | None = None, modified: datetime | None = None,
                         visible_at: datetime | None = None) -> SandboxDocument:
    defaults = {"body": body, "modified": modified, "visible_at": visible_at}
    if state is not None:
        defaults["state"] = state
    doc, _ = SandboxDocument.objects.update_or_create(
        platform=platform, app_key=app_key, order_id=order_id, defaults=defaults
    )
    return doc


def sandbox_document_get(*, platform: str, app_key: str, order_id: str) -> str | None:
    return (
        SandboxDocument.objects.filter(platform=platform, app_key=app_key, order_id=order_id)
        .values_list("body", flat=True)
        .first()
    )


def sandbox_state_get(*, platform: str, app_key: str, order_id: str) -> dict | None:
    return (
        SandboxDocument.objects.filter(platform=platform, app_key=app_key, order_id=order_id)
        .values_list("state", flat=True)
        .first()
    )


def sandbox_app(*, channel: str, app_key: str) -> Shop | None:
    """The sandbox knows the apps of the shops configured for this channel."""
    return Shop.objects.filter(channel=channel, app_key=app_key).exclude(app_key="").first()


def sandbox_documents_changed(
    *, platform: str, app_key: str, start: datetime, end: datetime, offset: int, limit: int,
    predicate: Callable[[dict], bool] | None = None, ascending: bool = True,
) -> tuple[int, list[str]]:
    """One page of the documents modified in [start, end] and already listed (index lag)."""
    now = clock.now()
    qs = SandboxDocument.objects.filter(
        platform=platform, app_key=app_key, modified__gte=start, modified__lte=end,
    ).filter(Q(visible_at__isnull=True) | Q(visible_at__lte=now))
    order = ("modified", "order_id") if ascending else ("-modified", "-order_id")
    if predicate is None:
        total = qs.count()
        rows = list(qs.order_by(*order).values_list("body", flat=True)[offset:offset + limit])
        return total, rows
    matching = [body for body, state in qs.order_by(*order).values_list("body", "state") if predicate(state)]
    return len(matching), matching[offset:offset + limit]


# ----------------------------------------------------------------------------- messages


def sandbox_message_put(*, platform: str, app_key: str, msg_id: str, topic: str, order_id: str,
                        content: str, available_at: datetime) -> SandboxMessage:
    return SandboxMessage.objects.create(
        platform=platform, app_key=app_key, msg_id=msg_id, topic=topic, order_id=order_id,
        content=content, available_at=available_at,
    )


def sandbox_messages_take(*, platform: str, app_key: str | None, limit: int,
                          redeliver_after: timedelta | None = None) -> list[SandboxMessage]:
    """Hand out due messages (in ``available_at`` order); unconfirmed ones come back later."""
    now = clock.now()
    with transaction.atomic():
        qs = SandboxMessage.objects.select_for_update(skip_locked=True).filter(
            platform=platform, confirmed_at__isnull=True, available_at__lte=now,
        )
        if app_key is not None:
            qs = qs.filter(app_key=app_key)
        if redeliver_after is not None:
            qs = qs.filter(Q(delivered_at__isnull=True) | Q(delivered_at__lte=now - redeliver_after))
        rows = list(qs.order_by("available_at", "id")[:limit])
        if rows:
            SandboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(
                delivered_at=now, deliveries=F("deliveries") + 1
            )
            for row in rows:
                row.delivered_at, row.deliveries = now, row.deliveries + 1
    return rows


def sandbox_messages_confirm(*, platform: str, app_key: str, msg_ids: list[str],
                             failed: list[str] = ()) -> int:
    now = clock.now()
    qs = SandboxMessage.objects.filter(platform=platform, app_key=app_key, confirmed_at__isnull=True)
    done = qs.filter(msg_id__in=[m.strip() for m in msg_ids]).update(confirmed_at=now)
    if failed:  # SENDACK/Failed: redeliver at once
        qs.filter(msg_id__in=[m.strip() for m in failed]).update(delivered_at=None)
    return done


def sandbox_messages_mark_sent(*, ids: list[int]) -> None:
    SandboxMessage.objects.filter(pk__in=ids).update(confirmed_at=clock.now())


def sandbox_messages_release(*, ids: list[int]) -> None:
    """A push that did not get through is tried again on the next round."""
    SandboxMessage.objects.filter(pk__in=ids).update(delivered_at=None)


def sandbox_order_ship(*, platform: str, shop: Shop, order_id: str, carrier: str, tracking_no: str) -> str:
    """Shipment write-back: ``shipped`` | ``already_shipped`` | ``not_shippable`` | ``not_found``."""
    from .engine import sandbox_order_apply

    state = sandbox_state_get(platform=platform, app_key=shop.app_key, order_id=order_id)
    if not state:
        return "not_found"
    if state["stage"] in ("shipped", "delivered", "completed"):
        return "already_shipped"
    if state["stage"] not in ("paid", "refund_requested"):
        return "not_shippable"
    sandbox_order_apply(shop=shop, order_id=order_id, stage="shipped", carrier=carrier, tracking_no=tracking_no)
    return "shipped"
