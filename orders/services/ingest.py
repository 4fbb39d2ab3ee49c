"""Canonical order in → one order row, created or moved forward.  Idempotent.

Rules (DESIGN §2, §4):
* The order is found by its binding (channel, shop, channel_order_id); concurrent
  first sights race on the unique constraint and the losers update instead.
* Data older than what we hold (``channel_modified_at``) never overwrites newer
  data; the same version again is a duplicate and changes nothing.
* Status only moves forward.  A channel cancel cancels an order that has not
  shipped; after shipment it is recorded as a ``order.status_mismatch`` event.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import NotFound, ValidationFailed
from orders.canonical import CanonicalLine, CanonicalOrder
from orders.choices import PRE_SHIPMENT, STATUS_RANK, CustomerLevel, HoldReason, OrderStatus
from orders.models import Customer, Order, OrderLine, Shop, Sku

from .events import order_event_record, order_status_event_type
from .transitions import order_apply_transition

S = OrderStatus
LINE_EDITABLE = {S.PENDING_PAYMENT, S.PAID, S.ON_HOLD, S.APPROVED}


@dataclass(frozen=True)
class IngestResult:
    order: Order
    outcome: str  # created | updated | duplicate | stale


def _shop_for(canonical: CanonicalOrder) -> Shop:
    try:
        shop = Shop.objects.get(code=canonical.shop_code)
    except Shop.DoesNotExist:
        raise NotFound(_("unknown shop %(shop)r") % {"shop": canonical.shop_code}, code="unknown_shop") from None
    if canonical.channel and canonical.channel != shop.channel:
        raise ValidationFailed(
            _("shop %(shop)s is a %(channel)s shop, not %(expected)s")
            % {"shop": shop.code, "channel": shop.channel, "expected": canonical.channel},
            code="channel_mismatch",
        )
    return shop


def _validate(canonical: CanonicalOrder) -> None:
    if canonical.status not in S.values:
        raise ValidationFailed(_("unknown status %(status)r") % {"status": canonical.status}, code="invalid_status")
    if not canonical.channel_order_id or not canonical.lines:
        raise ValidationFailed(_("an order needs a channel order id and lines"), code="invalid_order")
    for line in canonical.lines:
        if line.quantity <= 0:
            raise ValidationFailed(_("line quantity must be positive"), code="invalid_quantity")


def _customer_for(shop: Shop, canonical: CanonicalOrder) -> Customer | None:
    buyer = canonical.buyer
    if not buyer.channel_buyer_id:
        return None
    lookup = {"channel": shop.channel, "channel_buyer_id": buyer.channel_buyer_id}
    customer = Customer.objects.filter(**lookup).first()
    if customer is None:
        # INSERT … ON CONFLICT DO NOTHING: no savepoint; a concurrent first sight of the same
        # buyer makes ours a no-op and we read theirs.
        Customer.objects.bulk_create(
            [Customer(**lookup, nick=buyer.nick, level=buyer.level or CustomerLevel.NORMAL)],
            ignore_conflicts=True,
        )
        return Customer.objects.get(**lookup)
    if buyer.nick and customer.nick != buyer.nick:
        Customer.objects.filter(pk=customer.pk).update(nick=buyer.nick)
    return customer


def _order_fields(canonical: CanonicalOrder) -> dict:
    r = canonical.receiver
    return {
        "channel_status": canonical.channel_status,
        "channel_modified_at": canonical.channel_modified_at,
        "channel_created_at": canonical.channel_created_at,
        "receiver_name": r.name,
        "receiver_phone": r.phone,
        "receiver_province": r.province,
        "receiver_city": r.city,
        "receiver_district": r.district,
        "receiver_address": r.address,
        "receiver_masked": r.masked,
        "goods_amount": canonical.goods,
        "discount_amount": canonical.discount,
        "shipping_amount": canonical.shipping,
        "tax_amount": canonical.tax,
        "paid_amount": canonical.paid,
        "currency": canonical.currency,
        "presale": canonical.presale,
        "cross_border": canonical.cross_border,
        "buyer_message": canonical.buyer_message,
        "seller_memo": canonical.seller_memo,
        "invoice_request": canonical.invoice_request,
        "paid_at": canonical.paid_at,
        "promised_ship_by": canonical.promised_ship_by,
    }


def _line_rows(order: Order, lines: tuple[CanonicalLine, ...]) -> list[OrderLine]:
    codes = {line.sku for line in lines if line.sku}
    skus = {s.code: s for s in Sku.objects.filter(code__in=codes)}
    return [
        OrderLine(
            order=order,
            line_no=no,
            channel_line_id=line.channel_line_id,
            channel_sku_id=line.channel_sku_id,
            merchant_code=line.sku or "",
            sku=skus.get(line.sku or ""),
            title=line.title[:255],
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            refund_status=line.refund_status,
        )
        for no, line in enumerate(lines, start=1)
    ]


def _lock(shop: Shop, channel_order_id: str) -> Order | None:
    return (
        Order.objects.select_for_update()
        .filter(channel=shop.channel, shop=shop, channel_order_id=channel_order_id)
        .first()
    )


def order_ingest(*, canonical: CanonicalOrder, source: str, actor=None) -> IngestResult:
    """Create or update the order described by ``canonical``; see the module doc."""
    _validate(canonical)
    shop = _shop_for(canonical)
    with transaction.atomic():
        order = _lock(shop, canonical.channel_order_id)
        if order is None:
            try:
                with transaction.atomic():
                    return _create(shop, canonical, source, actor)
            except IntegrityError:
                order = _lock(shop, canonical.channel_order_id)
                if order is None:
                    raise
        return _update(order, canonical, source, actor)


def _create(shop: Shop, canonical: CanonicalOrder, source: str, actor) -> IngestResult:
    fields = _order_fields(canonical)
    hold = canonical.hold_reason if canonical.status == S.ON_HOLD else ""
    order = Order(
        channel=shop.channel,
        shop=shop,
        channel_order_id=canonical.channel_order_id,
        status=canonical.status,
        hold_reason=hold or (HoldReason.CHANNEL_HOLD if canonical.status == S.ON_HOLD else ""),
        refund_status=canonical.refund_status,
        customer=_customer_for(shop, canonical),
        carrier=canonical.carrier,
        tracking_no=canonical.tracking_no,
        **fields,
    )
    order.save()
    lines = OrderLine.objects.bulk_create(_line_rows(order, canonical.lines))
    unknown = [line.merchant_code for line in lines if line.sku_id is None]
    payload = {"status": order.status, "channel_status": order.channel_status}
    if unknown:
        payload["unknown_skus"] = unknown
    order_event_record(order=order, type="order.created", actor=actor, source=source, payload=payload)
    if order.status != S.PENDING_PAYMENT:
        order_event_record(
            order=order, type=order_status_event_type(order.status), actor=actor, source=source,
            payload={"from": None, "to": order.status, "transition": "first_sight"},
        )
    from orders import hooks

    hooks.status_changed(order=order, from_status=None, to_status=order.status, actor=actor,
                         source=source)
    return IngestResult(order=order, outcome="created")


def _version_outcome(order: Order, canonical: CanonicalOrder) -> str | None:
    new, old = canonical.channel_modified_at, order.channel_modified_at
    if old is None:
        return None
    if new is None or new < old:
        return "stale"
    if new == old:
        return "duplicate"
    return None


def _update(order: Order, canonical: CanonicalOrder, source: str, actor) -> IngestResult:
    verdict = _version_outcome(order, canonical)
    if verdict:
        return IngestResult(order=order, outcome=verdict)

    fields = _order_fields(canonical)
    changed = [name for name, value in fields.items() if getattr(order, name) != value]
    for name in changed:
        setattr(order, name, fields[name])
    if canonical.tracking_no and not order.tracking_no:
        order.carrier, order.tracking_no = canonical.carrier, canonical.tracking_no
        changed += ["carrier", "tracking_no"]
    if order.customer_id is None and canonical.buyer.channel_buyer_id:
        order.customer = _customer_for(order.shop, canonical)
        changed.append("customer")
    if changed:
        order.save()

    _sync_lines(order, canonical)
    old_refund = order.refund_status
    if canonical.refund_status != old_refund:
        Order.objects.filter(pk=order.pk).update(refund_status=canonical.refund_status)
        order.refund_status = canonical.refund_status
        order_event_record(
            order=order, type="order.refund_changed", actor=actor, source=source,
            payload={"from": old_refund, "to": canonical.refund_status},
        )
    _sync_status(order, canonical, source, actor)
    return IngestResult(order=order, outcome="updated")


def _sync_lines(order: Order, canonical: CanonicalOrder) -> None:
    current = list(order.lines.all())
    if order.status in LINE_EDITABLE:
        wanted = _line_rows(order, canonical.lines)
        key = lambda line: (  # noqa: E731
            line.channel_line_id, line.merchant_code, line.quantity, line.unit_price,
            line.amount, line.refund_status,
        )
        if [key(x) for x in current] != [key(x) for x in wanted]:
            order.lines.all().delete()
            OrderLine.objects.bulk_create(wanted)
        return
    # After allocation only the after-sales status of a line may change.
    by_id = {line.channel_line_id: line for line in canonical.lines if line.channel_line_id}
    for row in current:
        incoming = by_id.get(row.channel_line_id)
        if incoming and incoming.refund_status != row.refund_status:
            OrderLine.objects.filter(pk=row.pk).update(refund_status=incoming.refund_status)


def _sync_status(order: Order, canonical: CanonicalOrder, source: str, actor) -> None:
    current, target = order.status, canonical.status
    if target == current:
        return
    if target == S.CANCELLED:
        if current in PRE_SHIPMENT:
            _move(order, S.CANCELLED, source, actor)
        else:
            order_event_record(
                order=order, type="order.status_mismatch", actor=actor, source=source,
                payload={"ours": current, "channel": canonical.channel_status,
                         "channel_says": target, "refund_status": canonical.refund_status},
            )
        return
    if target == S.ON_HOLD:
        if current in (S.PENDING_PAYMENT, S.PAID):
            order.hold_reason = canonical.hold_reason or HoldReason.CHANNEL_HOLD
            _move(order, S.ON_HOLD, source, actor)
        return
    if target == S.PAID:
        if current == S.PENDING_PAYMENT:
            _move(order, S.PAID, source, actor)
        elif current == S.ON_HOLD and order.hold_reason == HoldReason.CHANNEL_HOLD:
            order_apply_transition(order=order, method=order.lift_channel_hold, actor=actor,
                                   source=source)
        return
    if STATUS_RANK[target] > STATUS_RANK[current] and target in (S.SHIPPED, S.DELIVERED, S.COMPLETED):
        _move(order, target, source, actor)


def _move(order: Order, target: str, source: str, actor) -> None:
    order_apply_transition(
        order=order, method=order.sync_from_channel, actor=actor, source=source,
        kwargs={"target": target},
    )
