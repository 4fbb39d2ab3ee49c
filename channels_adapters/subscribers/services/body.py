"""The exact bytes of one delivery: envelope ``{id, type, occurred_at, oid, data}``.

Built once, at the first claim, and stored on the delivery, so every retry sends (and
signs) the same bytes; only the timestamp header and signature change per attempt.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from ..models import Contract, Delivery, PayloadVariant
from .contracts import contract_check, order_number_get

COMPACT_KEYS = ("channel", "shop", "channel_order_id", "status", "refund_status", "carrier",
                "tracking_no", "warehouse")


def _order_lines(oid) -> list[dict]:
    from orders.models import OrderLine

    rows = (OrderLine.objects.filter(order__oid=oid).select_related("sku").order_by("line_no"))
    return [
        {"line_no": r.line_no, "sku": r.sku.code if r.sku_id else None,
         "merchant_code": r.merchant_code, "channel_sku_id": r.channel_sku_id, "title": r.title,
         "quantity": r.quantity, "unit_price": str(r.unit_price), "amount": str(r.amount)}
        for r in rows
    ]


def _shape(data: dict, *, variant: str, event_type: str, oid) -> dict:
    is_order = event_type.startswith("order.")
    if variant == PayloadVariant.COMPACT and is_order:
        return {k: data[k] for k in COMPACT_KEYS if k in data}
    if variant == PayloadVariant.FULL and is_order and oid is not None:
        return {**data, "lines": _order_lines(oid)}
    return dict(data)


def delivery_body_build(delivery: Delivery) -> str:
    """Render the body of ``delivery``; raises ``ContractViolation`` when it may not go."""
    return body_render(event=delivery.event, contract=delivery.subscription.contract)


def body_render(*, event, contract: Contract | None) -> str:
    """The body of ``event`` (anything with the ``OutboxEvent`` fields) for ``contract``."""
    variant = contract.payload_variant if contract else PayloadVariant.STANDARD
    data = _shape(event.data, variant=variant, event_type=event.type, oid=event.oid)
    order_number = None
    if contract and contract.order_number_length and event.oid is not None:
        order_number = order_number_get(contract=contract, oid=event.oid)
        data["order_number"] = order_number
    envelope = {
        "id": str(event.event_id),
        "type": event.type,
        "occurred_at": timezone.localtime(event.occurred_at).isoformat(),
        "oid": str(event.oid) if event.oid else None,
        "data": data,
    }
    body = json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    contract_check(contract=contract, order_number=order_number, body=body.encode("utf-8"))
    return body
