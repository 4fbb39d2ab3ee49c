"""A preorder's promise given back: when an order held for a preorder is cancelled, the
inbound units promised to it (``InboundLine.promised``) are free again for other orders'
options.  The coupon already granted stays (it was the customer's)."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from orders.choices import OrderStatus
from orders.services.events import order_event_record

from ..models import FulfilmentDecision, InboundLine, OptionKind


def preorder_release_on_cancel(*, order, from_status, to_status, actor, source) -> None:
    """``orders.hooks.on_status_changed`` handler (in the cancelling transaction)."""
    if to_status != OrderStatus.CANCELLED:
        return
    decisions = list(FulfilmentDecision.objects.select_for_update()
                     .filter(order=order, kind=OptionKind.PREORDER, released_at__isnull=True)
                     .order_by("pk"))
    if not decisions:
        return
    given_back: dict[int, int] = {}
    for decision in decisions:
        for row in decision.option.get("inbound") or []:
            given_back[row["inbound_line"]] = given_back.get(row["inbound_line"], 0) + row["quantity"]
    for line_id in sorted(given_back):  # lock order: by id, as the promise took them
        InboundLine.objects.filter(pk=line_id).update(promised=F("promised") - given_back[line_id])
    FulfilmentDecision.objects.filter(pk__in=[d.pk for d in decisions]).update(
        released_at=timezone.now())
    order_event_record(order=order, type="order.preorder_released", actor=actor, source=source,
                       payload={"inbound": [{"inbound_line": pk, "quantity": qty}
                                            for pk, qty in sorted(given_back.items())]})
