"""Canonical order in → one order row, created or moved forward.  Idempotent.

Rules (DESIGN §2, §4):
* The order is found by its binding (channel, shop, channel_order_id); concurrent
  first sights race on the unique constraint (``INSERT … ON CONFLICT DO NOTHING``) and
  the losers update instead.
* Data older than what we hold (``channel_modified_at``) never overwrites newer
  data; the same version again is a duplicate and changes nothing.
* Status only moves forward.  A channel cancel cancels an order that has not
  shipped; after shipment it is recorded as a ``order.status_mismatch`` event.

``order_ingest_many`` takes a whole page of documents of one shop in one transaction;
``order_ingest`` is the page of one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.errors import NotFound, ValidationFailed
from orders.canonical import CanonicalLine, CanonicalOrder
from orders.choices import PRE_SHIPMENT, STATUS_RANK, HoldReason, OrderStatus
from orders.models import Customer, Order, OrderLine, Shop

from .events import order_event_record
from .ingest_create import customers_for, line_rows, order_fields, orders_create_many, skus_by_code
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
    _check_channel(shop, canonical)
    return shop


def _check_channel(shop: Shop, canonical: CanonicalOrder) -> None:
    if canonical.channel and canonical.channel != shop.channel:
        raise ValidationFailed(
            _("shop %(shop)s is a %(channel)s shop, not %(expected)s")
            % {"shop": shop.code, "channel": shop.channel, "expected": canonical.channel},
            code="channel_mismatch",
        )


def order_ingest_validate(canonical: CanonicalOrder) -> None:
    """Refuse a canonical order that cannot be ingested (raises ``ValidationFailed``)."""
    if canonical.status not in S.values:
        raise ValidationFailed(_("unknown status %(status)r") % {"status": canonical.status}, code="invalid_status")
    if not canonical.channel_order_id or not canonical.lines:
        raise ValidationFailed(_("an order needs a channel order id and lines"), code="invalid_order")
    for line in canonical.lines:
        if line.quantity <= 0:
            raise ValidationFailed(_("line quantity must be positive"), code="invalid_quantity")
    for field, value, limit in _bounded_texts(canonical):
        if value and len(value) > limit:
            raise ValidationFailed(
                _("%(field)s is longer than %(limit)d characters") % {"field": field, "limit": limit},
                code="field_too_long", details={field: [value[:80]]},
            )


def _bounded_texts(c: CanonicalOrder):
    """(field, value, column length) of the identifiers a document carries verbatim."""
    yield "channel_order_id", c.channel_order_id, 64
    yield "channel_status", c.channel_status, 64
    yield "currency", c.currency, 3
    yield "carrier", c.carrier, 32
    yield "tracking_no", c.tracking_no, 64
    yield "buyer.channel_buyer_id", c.buyer.channel_buyer_id, 128
    for no, line in enumerate(c.lines, start=1):
        yield f"lines[{no}].sku", line.sku, 64
        yield f"lines[{no}].channel_sku_id", line.channel_sku_id, 64
        yield f"lines[{no}].channel_line_id", line.channel_line_id, 64


def _customer_for(shop: Shop, canonical: CanonicalOrder) -> Customer | None:
    if not canonical.buyer.channel_buyer_id:
        return None
    return customers_for(shop, [canonical])[canonical.buyer.channel_buyer_id]


def _line_rows(order: Order, lines: tuple[CanonicalLine, ...]) -> list[OrderLine]:
    return line_rows(order, lines, skus_by_code(line.sku for line in lines))


def _lock_known(shop: Shop, ids: list[str]) -> dict[str, Order]:
    """Lock the orders of ``ids`` we already hold (id order) and load them.  Plain SQL for
    the lock: most documents are new orders, and then this is the only statement."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Order._meta.db_table} WHERE channel = %s AND shop_id = %s "
            "AND channel_order_id = ANY(%s) ORDER BY id FOR UPDATE",
            [shop.channel, shop.pk, ids],
        )
        pks = [pk for (pk,) in cursor.fetchall()]
    if not pks:
        return {}
    return {o.channel_order_id: o for o in Order.objects.filter(pk__in=pks).order_by("pk")}


def order_ingest(*, canonical: CanonicalOrder, source: str, actor=None,
                 shop: Shop | None = None) -> IngestResult:
    """Create or update the order described by ``canonical``; see the module doc."""
    order_ingest_validate(canonical)
    shop = shop or _shop_for(canonical)
    return order_ingest_many(shop=shop, canonicals=[canonical], source=source, actor=actor)[0]


def order_ingest_many(*, shop: Shop, canonicals: list[CanonicalOrder], source: str,
                      actor=None) -> list[IngestResult]:
    """``order_ingest`` for many documents of one shop in ONE transaction, in list order.

    New orders are written set-based (``ingest_create``); known ones are locked together
    (in id order) and updated one by one.  A channel order id seen twice in the list is
    created by its first document and updated by the later ones.  Any error rolls the
    whole list back.
    """
    for canonical in canonicals:
        order_ingest_validate(canonical)
        _check_channel(shop, canonical)
        if canonical.shop_code != shop.code:
            raise ValidationFailed(_("every document must belong to shop %(shop)s") % {"shop": shop.code},
                                   code="shop_mismatch")
    ids = list(dict.fromkeys(c.channel_order_id for c in canonicals))
    with transaction.atomic():
        known = _lock_known(shop, ids)
        first_sight: dict[str, CanonicalOrder] = {}
        for canonical in canonicals:
            if canonical.channel_order_id not in known:
                first_sight.setdefault(canonical.channel_order_id, canonical)
        created = orders_create_many(shop=shop, canonicals=list(first_sight.values()),
                                     source=source, actor=actor)
        # Created meanwhile by another transaction (its insert won): locked together, in
        # id order like the known ones — one by one in document order, two pages sharing
        # orders could each hold one the other waits for.
        known.update(_lock_known(shop, [key for key in first_sight if key not in created]))
        results = []
        for canonical in canonicals:
            key = canonical.channel_order_id
            if key in created and first_sight.get(key) is canonical:
                results.append(IngestResult(order=created[key], outcome="created"))
                known[key] = created[key]
                continue
            order = known.get(key)
            if order is None:
                raise RuntimeError(f"order {key} was neither created nor found")
            known[key] = order
            results.append(_update(order, canonical, source, actor))
        return results


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

    fields = order_fields(canonical)
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

    _sync_lines(order, canonical, source, actor)
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


def _sync_lines(order: Order, canonical: CanonicalOrder, source: str, actor) -> None:
    current = list(order.lines.all())
    if order.status in LINE_EDITABLE:
        wanted = _line_rows(order, canonical.lines)

        def key(line, code):
            return (line.channel_line_id, code, line.quantity, line.unit_price, line.amount,
                    line.refund_status)

        # A substituted line compares by the code the channel sent: the same document
        # again keeps the substitute; changed lines replace it (and the timeline says so).
        if ([key(x, x.substituted_from or x.merchant_code) for x in current]
                != [key(x, x.merchant_code) for x in wanted]):
            order.lines.all().delete()
            OrderLine.objects.bulk_create(wanted)
            dropped = [{"line_no": x.line_no, "sku": x.merchant_code, "was": x.substituted_from}
                       for x in current if x.substituted_from]
            if dropped:
                order_event_record(order=order, type="order.substitution_dropped", actor=actor,
                                   source=source, payload={"lines": dropped})
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
