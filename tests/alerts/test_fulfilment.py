"""Acceptance: a VIP order for a SKU with 0 stock in its warehouse, 5 in another ~300 km
away and an inbound in 3 days gets all three kinds of option, costed; each choice works."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from channels_adapters.subscribers.models import OutboxEvent
from orders.alerts.models import (
    Compensation,
    FulfilmentDecision,
    InboundLine,
    InboundShipment,
)
from orders.alerts.services.choose import fulfillment_option_choose
from orders.alerts.services.lifecycle import alerts_publish
from orders.alerts.services.options import fulfillment_options, similarity
from orders.canonical import CanonicalBuyer
from orders.models import Customer, Order, OrderEvent, Sku
from orders.services.transitions import order_transition
from tests.factories.orders import make_sku
from tests.factories.warehouses import level, make_order, make_warehouse, set_stock

from .conftest import open_alerts

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip_order():
    """SH (the order's warehouse: nearest to the Shanghai receiver) has 0 of SKU-V, NJ
    (~270 km) has 5, an inbound of 10 reaches SH in 3 days; SKU-W substitutes SKU-V."""
    sh = make_warehouse("SH", cold_chain=True)
    nj = make_warehouse("NJ", name="南京门店", kind="store", province="江苏", city="南京市",
                        lat=Decimal("32.060000"), lng=Decimal("118.797000"), cold_chain=True)
    make_warehouse("CD")
    v = make_sku("SKU-V", name="有机 纯牛奶 1L 冷藏", cold_chain=True)
    w = make_sku("SKU-W", name="有机 低脂牛奶 1L 冷藏", cold_chain=True)
    make_sku("SKU-X", name="儿童 玩具 积木", high_value=True)
    v.substitutes.add(w, Sku.objects.get(code="SKU-X"))
    set_stock(sh, "SKU-V", 0)
    set_stock(make_warehouse("GZ"), "SKU-V", 50)  # has stock but no cold chain: not offered
    set_stock(nj, "SKU-V", 5)
    set_stock(sh, "SKU-W", 10)
    set_stock(sh, "SKU-X", 10)
    inbound = InboundShipment.objects.create(
        reference="PO-1", warehouse=sh, expected_date=timezone.localdate() + timedelta(days=3))
    InboundLine.objects.create(shipment=inbound, sku=v, quantity=10)
    order = make_order([("SKU-V", 2, "60.00")], evaluate=False,
                       buyer=CanonicalBuyer(channel_buyer_id="vip-1", nick="老客"))
    Customer.objects.filter(pk=order.customer_id).update(level="vip")
    order_transition(oid=order.oid, name="approve", actor=None, source="test")
    order_transition(oid=order.oid, name="hold", actor=None, source="test",
                     params={"reason": "out_of_stock"})
    return Order.objects.get(pk=order.pk)


def _by_kind(options):
    kinds = {}
    for option in options.options:
        kinds.setdefault(option["kind"], []).append(option)
    return kinds


def test_all_three_kinds_of_option_costed(vip_order):
    options = fulfillment_options(order=vip_order)
    assert options.home.code == "SH"
    assert options.short_lines == [{"line_no": 1, "sku": "SKU-V", "quantity": 2, "available": 0}]
    kinds = _by_kind(options)
    assert set(kinds) == {"transfer", "preorder", "substitute"}

    [transfer] = kinds["transfer"]  # CD: no stock, GZ: no cold chain
    assert transfer["warehouse"] == "NJ" and transfer["warehouse_kind"] == "store"
    assert 250 < transfer["distance_km"] < 350
    km = Decimal(str(transfer["distance_km"]))
    expected = (Decimal("12") + Decimal("0.05") * km).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert transfer["cost"]["extra_cost"] == str(expected) == transfer["cost"]["total"]
    assert transfer["extra_days"] == 1

    [preorder] = kinds["preorder"]
    assert preorder["wait_days"] == 3
    assert preorder["cost"]["coupon"] == "50.00"  # VIP policy
    assert preorder["inbound"][0]["shipment"] == "PO-1"

    first, *rest = kinds["substitute"]
    assert first["swaps"][0]["to_sku"] == "SKU-W"  # closest by name, flags (and price)
    assert first["discount_percent"] == "15.00"
    assert first["cost"]["discount"] == "18.00"  # 15 % of 120.00
    assert [o["swaps"][0]["to_sku"] for o in rest] == ["SKU-X"]
    assert first["similarity"] > rest[0]["similarity"]


def test_vip_gets_options_proactively_in_the_alert(vip_order, detect):
    result = detect("out_of_stock")
    [alert] = open_alerts("out_of_stock", vip_order)
    assert alert.severity == "high" and alert.details["valued"] is True
    assert alerts_publish(alert_ids=result.opened_ids) == [alert.pk]
    alert.refresh_from_db()
    kinds = {o["kind"] for o in alert.details["options"]["options"]}
    assert kinds == {"transfer", "preorder", "substitute"}
    event = OutboxEvent.objects.get(type="alert.opened", oid=vip_order.oid)
    assert event.data["kind"] == "out_of_stock" and event.data["details"]["options"]
    assert alerts_publish(alert_ids=[alert.pk]) == []  # published once


def test_normal_customer_alert_has_no_proactive_options(vip_order, detect):
    Customer.objects.filter(pk=vip_order.customer_id).update(level="normal")
    result = detect("out_of_stock")
    alerts_publish(alert_ids=result.opened_ids)
    [alert] = open_alerts("out_of_stock", vip_order)
    assert "options" not in alert.details and alert.severity == "medium"


def _option(order, kind):
    return next(o for o in fulfillment_options(order=order).options if o["kind"] == kind)


def test_choose_transfer_reroutes_to_the_other_warehouse(vip_order, admin_user, detect):
    detect("out_of_stock")
    option = _option(vip_order, "transfer")
    decision = fulfillment_option_choose(order_oid=vip_order.oid, option_id=option["id"],
                                         actor=admin_user)
    order = Order.objects.get(pk=vip_order.pk)
    assert order.status == "allocated" and order.warehouse.code == "NJ"
    assert level(order.warehouse, "SKU-V").reserved == 2
    assert decision.extra_cost == Decimal(option["cost"]["total"])
    chosen = OrderEvent.objects.get(order=order, type="order.fulfillment_chosen")
    assert chosen.payload["kind"] == "transfer" and chosen.actor == admin_user
    [alert] = open_alerts("out_of_stock", order)
    assert alert.status == "acknowledged"
    detect("out_of_stock")
    assert open_alerts("out_of_stock") == []  # cause gone: resolved


def test_choose_preorder_holds_and_records_the_coupon(vip_order, admin_user):
    option = _option(vip_order, "preorder")
    fulfillment_option_choose(order_oid=vip_order.oid, option_id=option["id"], actor=admin_user)
    order = Order.objects.get(pk=vip_order.pk)
    assert (order.status, order.hold_reason) == ("on_hold", "out_of_stock")
    assert InboundLine.objects.get().promised == 2
    coupon = Compensation.objects.get(order=order)
    assert (coupon.kind, coupon.amount, coupon.customer_id) == ("coupon", Decimal("50.00"),
                                                                order.customer_id)
    held = OrderEvent.objects.get(order=order, type="order.preorder_held")
    assert held.payload["coupon"] == "50.00" and held.payload["inbound"][0]["quantity"] == 2


def test_cancelling_a_preorder_gives_the_promised_units_back_once(vip_order, admin_user):
    option = _option(vip_order, "preorder")
    fulfillment_option_choose(order_oid=vip_order.oid, option_id=option["id"], actor=admin_user)
    assert InboundLine.objects.get().promised == 2
    order_transition(oid=vip_order.oid, name="cancel", actor=None, source="test")
    line = InboundLine.objects.get()
    assert line.promised == 0
    decision = FulfilmentDecision.objects.get(order=vip_order, kind="preorder")
    assert decision.released_at is not None
    released = OrderEvent.objects.get(order=vip_order, type="order.preorder_released")
    assert released.payload["inbound"] == [{"inbound_line": line.pk, "quantity": 2}]
    # Once: a later cancellation-like change finds nothing left to give back.
    from orders.alerts.services.preorders import preorder_release_on_cancel

    preorder_release_on_cancel(order=vip_order, from_status="cancelled", to_status="cancelled",
                               actor=None, source="test")
    assert InboundLine.objects.get().promised == 0
    assert OrderEvent.objects.filter(type="order.preorder_released").count() == 1
    assert Compensation.objects.filter(order=vip_order).count() == 1  # the coupon stays


def test_choose_substitute_swaps_lines_and_allocates(vip_order, admin_user):
    option = _option(vip_order, "substitute")
    fulfillment_option_choose(order_oid=vip_order.oid, option_id=option["id"], actor=admin_user)
    order = Order.objects.get(pk=vip_order.pk)
    [line] = order.lines.all()
    assert (line.sku.code, line.merchant_code, line.quantity) == ("SKU-W", "SKU-W", 2)
    assert line.amount == Decimal("120.00")  # the buyer paid this; the discount is refunded
    swapped = OrderEvent.objects.get(order=order, type="order.lines_substituted")
    assert swapped.payload["lines"][0]["from_sku"] == "SKU-V"
    assert swapped.payload["discount"] == "18.00"
    assert Compensation.objects.get(order=order).amount == Decimal("18.00")
    assert order.status == "allocated" and order.warehouse.code == "SH"
    assert FulfilmentDecision.objects.get(order=order).kind == "substitute"


def test_a_later_document_keeps_a_substitute_unless_its_lines_changed(vip_order):
    from orders.alerts.services.substitution import order_lines_substitute
    from orders.models import OrderLine
    from orders.services.ingest import order_ingest
    from tests.factories.orders import canonical_order

    order_lines_substitute(order_oid=vip_order.oid, swaps={1: "SKU-W"}, source="test")
    same = {"channel_order_id": vip_order.channel_order_id,
            "buyer": CanonicalBuyer(channel_buyer_id="vip-1", nick="老客")}
    later = timezone.now() + timedelta(minutes=1)
    # The platform sends the order again (a memo, an address…): the substitute stays.
    result = order_ingest(canonical=canonical_order(lines=[("SKU-V", 2, "60.00")], modified=later,
                                                    seller_memo="call first", **same),
                          source="test")
    assert result.outcome == "updated"
    [line] = OrderLine.objects.filter(order=vip_order)
    assert (line.sku.code, line.merchant_code, line.substituted_from) == ("SKU-W", "SKU-W", "SKU-V")
    assert not OrderEvent.objects.filter(type="order.substitution_dropped").exists()
    # The buyer changed the lines: the channel's lines win and the timeline says so.
    order_ingest(canonical=canonical_order(lines=[("SKU-V", 3, "60.00")],
                                           modified=later + timedelta(minutes=1), **same),
                 source="test")
    [line] = OrderLine.objects.filter(order=vip_order)
    assert (line.sku.code, line.quantity, line.substituted_from) == ("SKU-V", 3, "")
    dropped = OrderEvent.objects.get(order=vip_order, type="order.substitution_dropped")
    assert dropped.payload["lines"] == [{"line_no": 1, "sku": "SKU-W", "was": "SKU-V"}]


def test_stale_option_is_refused_and_nothing_changes(vip_order, admin_user):
    from core.errors import Conflict

    option = _option(vip_order, "transfer")
    set_stock(make_warehouse("NJ"), "SKU-V", 0)
    with pytest.raises(Conflict) as err:
        fulfillment_option_choose(order_oid=vip_order.oid, option_id=option["id"],
                                  actor=admin_user)
    assert err.value.code == "option_unavailable"
    assert not FulfilmentDecision.objects.exists()
    assert Order.objects.get(pk=vip_order.pk).status == "on_hold"


def test_choosing_needs_the_permission(vip_order, django_user_model):
    from core.errors import PermissionDenied

    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    with pytest.raises(PermissionDenied):
        fulfillment_option_choose(order_oid=vip_order.oid,
                                  option_id=_option(vip_order, "preorder")["id"], actor=clerk)


def test_in_stock_order_has_no_options():
    set_stock(make_warehouse("SH"), "SKU-1", 10)
    order = make_order()
    options = fulfillment_options(order=order)
    assert options.options == [] and options.reason in ("in_stock", "status")


def test_similarity_prefers_same_name_tokens_and_flags():
    a = Sku(pk=1, code="A", name="有机 纯牛奶", cold_chain=True)
    b = Sku(pk=2, code="B", name="有机 低脂牛奶", cold_chain=True)
    c = Sku(pk=3, code="C", name="积木", high_value=True)
    prices = {1: Decimal("10"), 2: Decimal("11"), 3: Decimal("10")}
    assert similarity(a, b, prices) > similarity(a, c, prices)
