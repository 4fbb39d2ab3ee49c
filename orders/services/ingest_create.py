"""First sight of orders: many new orders written in a few statements.

Used by ``order_ingest_many`` (and so by ``order_ingest``) inside its transaction.  The
effect per order is exactly that of creating it alone — the order, its lines, an
``order.created`` event and, unless it awaits payment, the first-sight status event; the
event and status hooks run with the same orders and events (set-based twins where the
handlers have one) — but the statements do not grow with the number of orders.

Orders are inserted with ``ON CONFLICT DO NOTHING`` in channel-order-id order: an order
another transaction created meanwhile is skipped here (the statement waits for that
transaction) and the caller updates it instead.  The fixed order keeps two pages that
share orders from deadlocking.
"""

from __future__ import annotations

from core.bulk import model_insert_many
from orders import hooks
from orders.canonical import CanonicalLine, CanonicalOrder
from orders.choices import CustomerLevel, HoldReason, OrderStatus
from orders.models import Customer, Order, OrderEvent, OrderLine, Shop, Sku

S = OrderStatus


def order_fields(canonical: CanonicalOrder) -> dict:
    """The order columns a channel document sets (on creation and on every update)."""
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


def skus_by_code(codes) -> dict[str, Sku]:
    codes = {code for code in codes if code}
    return {s.code: s for s in Sku.objects.filter(code__in=codes)} if codes else {}


def line_rows(order: Order, lines: tuple[CanonicalLine, ...], skus: dict[str, Sku]) -> list[OrderLine]:
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


def cache_lines(order: Order, rows: list[OrderLine]) -> None:
    """Give ``order.lines.all()`` the rows just written, as ``prefetch_related`` would."""
    qs = order.lines.get_queryset()
    qs._result_cache, qs._prefetch_done = rows, True
    order._prefetched_objects_cache = {"lines": qs}


def customers_for(shop: Shop, canonicals) -> dict[str, Customer]:
    """Customer per channel buyer id: found, or created (``ON CONFLICT DO NOTHING``: a
    concurrent first sight of the same buyer makes ours a no-op and we read theirs)."""
    nicks = {}
    for c in canonicals:
        if c.buyer.channel_buyer_id:
            nicks.setdefault(c.buyer.channel_buyer_id, (c.buyer.nick[:128], c.buyer.level))
    if not nicks:
        return {}
    found = {x.channel_buyer_id: x for x in
             Customer.objects.filter(channel=shop.channel, channel_buyer_id__in=list(nicks))}
    missing = [b for b in nicks if b not in found]
    if missing:
        Customer.objects.bulk_create(
            [Customer(channel=shop.channel, channel_buyer_id=b, nick=nicks[b][0],
                      level=nicks[b][1] or CustomerLevel.NORMAL) for b in missing],
            ignore_conflicts=True,
        )
        found.update((x.channel_buyer_id, x) for x in
                     Customer.objects.filter(channel=shop.channel, channel_buyer_id__in=missing))
    for buyer_id, customer in found.items():
        nick = nicks[buyer_id][0]
        if nick and customer.nick != nick:
            Customer.objects.filter(pk=customer.pk).update(nick=nick)
            customer.nick = nick
    return found


def _new_order(shop: Shop, canonical: CanonicalOrder, customer: Customer | None) -> Order:
    on_hold = canonical.status == S.ON_HOLD
    return Order(
        channel=shop.channel,
        shop=shop,
        channel_order_id=canonical.channel_order_id,
        status=canonical.status,
        hold_reason=(canonical.hold_reason or HoldReason.CHANNEL_HOLD) if on_hold else "",
        refund_status=canonical.refund_status,
        customer=customer,
        carrier=canonical.carrier,
        tracking_no=canonical.tracking_no,
        **order_fields(canonical),
    )


def orders_create_many(*, shop: Shop, canonicals: list[CanonicalOrder], source: str,
                       actor) -> dict[str, Order]:
    """Create the orders of ``canonicals`` (distinct channel order ids, none known yet).

    Returns the orders really created by channel order id; the missing ones were created
    by a concurrent transaction meanwhile.
    """
    if not canonicals:
        return {}
    canonicals = sorted(canonicals, key=lambda c: c.channel_order_id)
    customers = customers_for(shop, canonicals)
    orders = model_insert_many(
        [_new_order(shop, c, customers.get(c.buyer.channel_buyer_id)) for c in canonicals],
        skip_conflicts=True,
    )
    if not orders:
        return {}
    created = {o.channel_order_id: o for o in orders}
    kept = [c for c in canonicals if c.channel_order_id in created]
    skus = skus_by_code(line.sku for c in kept for line in c.lines)

    user = actor if getattr(actor, "is_authenticated", False) else None
    lines, events = [], []
    for c in kept:
        order = created[c.channel_order_id]
        rows = line_rows(order, c.lines, skus)
        lines += rows
        payload = {"status": order.status, "channel_status": order.channel_status}
        unknown = [row.merchant_code for row in rows if row.sku_id is None]
        if unknown:
            payload["unknown_skus"] = unknown
        events.append(OrderEvent(order=order, type="order.created", actor=user, source=source,
                                 payload=payload))
        if order.status != S.PENDING_PAYMENT:
            events.append(OrderEvent(order=order, type=f"order.{order.status}", actor=user,
                                     source=source,
                                     payload={"from": None, "to": order.status,
                                              "transition": "first_sight"}))
    model_insert_many(lines)
    model_insert_many(events)
    by_order: dict[int, list[OrderLine]] = {}
    for row in lines:
        by_order.setdefault(row.order_id, []).append(row)
    for order in orders:
        cache_lines(order, by_order.get(order.pk, []))

    hooks.events_recorded_many([(event.order, event) for event in events])
    hooks.statuses_changed_many(
        [hooks.StatusChange(order=o, from_status=None, to_status=o.status) for o in orders],
        actor=actor, source=source,
    )
    return created
