"""Routing table tests: each rule decides when it should, and the explanation says so."""

from __future__ import annotations

import pytest

from tests.factories.orders import make_sku
from tests.factories.warehouses import make_order, make_warehouse, receiver, set_stock
from warehouses.geo import centroid, haversine_km, normalize_place
from warehouses.models import Reservation, RoutingRule
from warehouses.services.allocation import order_allocate
from warehouses.services.routing import order_route
from warehouses.services.stock import InsufficientStock

pytestmark = pytest.mark.django_db

SHANGHAI = receiver("上海", "上海市")
CHENGDU = receiver("四川", "成都市")


def _route(order):
    order.refresh_from_db()
    return order_route(order=order)


def _both_stocked(*skus, qty=10):
    sh, cd = make_warehouse("SH"), make_warehouse("CD")
    for sku in skus:
        set_stock(sh, sku, qty)
        set_stock(cd, sku, qty)
    return sh, cd


def test_nearest_wins_among_equals_shanghai_receiver_gets_shanghai():
    _both_stocked("SKU-1")
    decision = _route(make_order(receiver=SHANGHAI))
    assert decision.warehouse.code == "SH"
    assert decision.rule["kind"] == "nearest"
    explained = decision.as_json()
    assert explained["rule"]["name"] == "Nearest warehouse"
    by_code = {c["warehouse"]: c for c in explained["candidates"]}
    assert by_code["SH"]["distance_km"] < 10 < by_code["CD"]["distance_km"]
    assert by_code["SH"]["score"] > by_code["CD"]["score"]


def test_nearest_for_chengdu_receiver_is_chengdu():
    _both_stocked("SKU-1")
    assert _route(make_order(receiver=CHENGDU)).warehouse.code == "CD"


def test_unknown_city_falls_back_to_province_centroid():
    _both_stocked("SKU-1")
    decision = _route(make_order(receiver=receiver("四川", "某某县")))
    assert decision.warehouse.code == "CD"
    assert decision.receiver["located_by"] == "province"


def test_sku_pin_decides_over_distance():
    _both_stocked("SKU-P")
    RoutingRule.objects.create(name="pin P to Chengdu", kind="sku_pin", priority=1,
                               params={"sku": "SKU-P", "warehouse": "CD"})
    decision = _route(make_order([("SKU-P", 1, "10.00")], receiver=SHANGHAI))
    assert (decision.warehouse.code, decision.rule["name"]) == ("CD", "pin P to Chengdu")


def test_sku_pin_does_not_fire_for_other_skus():
    _both_stocked("SKU-1")
    RoutingRule.objects.create(name="pin P", kind="sku_pin", priority=1,
                               params={"sku": "SKU-P", "warehouse": "CD"})
    assert _route(make_order(receiver=SHANGHAI)).rule["kind"] == "nearest"


def test_region_rule_sends_province_to_its_warehouse():
    _both_stocked("SKU-1")
    RoutingRule.objects.create(name="East China from Chengdu", kind="region", priority=5,
                               params={"provinces": ["上海市", "江苏"], "warehouse": "CD"})
    decision = _route(make_order(receiver=SHANGHAI))
    assert (decision.warehouse.code, decision.rule["kind"]) == ("CD", "region")
    other = _route(make_order(receiver=receiver("广东", "广州市")))
    assert other.rule["kind"] == "nearest"


def test_cold_chain_excludes_warehouses_without_it():
    make_sku("SKU-C", cold_chain=True)
    sh, cd = _both_stocked("SKU-C")
    cd.cold_chain = True
    cd.save()
    decision = _route(make_order([("SKU-C", 1, "30.00")], receiver=SHANGHAI))
    assert (decision.warehouse.code, decision.rule["kind"]) == ("CD", "cold_chain")
    excluded = {c["warehouse"]: c["excluded_by"] for c in decision.as_json()["candidates"]}
    assert excluded["SH"] == "Cold chain capability"


def test_capacity_used_up_today_sends_orders_elsewhere():
    sh, cd = _both_stocked("SKU-1")
    sh.daily_capacity = 1
    sh.save()
    first = order_allocate(order_oid=make_order(receiver=SHANGHAI).oid)
    assert first.warehouse.code == "SH"
    decision = _route(make_order(receiver=SHANGHAI))
    assert (decision.warehouse.code, decision.rule["kind"]) == ("CD", "capacity")


def test_single_warehouse_that_ships_everything_beats_a_nearer_partial_one():
    sh, cd = _both_stocked("SKU-1")
    set_stock(cd, "SKU-2", 5)
    decision = _route(make_order([("SKU-1", 1, "9.00"), ("SKU-2", 1, "9.00")], receiver=SHANGHAI))
    assert (decision.warehouse.code, decision.rule["kind"]) == ("CD", "single")
    assert decision.as_json()["split"] is False


def test_three_line_order_no_warehouse_can_fill_is_split_into_fewest_packages():
    sh, cd, gz, bj = (make_warehouse(c) for c in ("SH", "CD", "GZ", "BJ"))
    set_stock(sh, "SKU-X", 5)
    set_stock(sh, "SKU-Y", 5)
    set_stock(gz, "SKU-X", 5)
    set_stock(cd, "SKU-Z", 5)
    set_stock(bj, "SKU-Z", 5)  # Beijing is nearer to Shanghai than Chengdu
    order = make_order([("SKU-X", 2, "1.00"), ("SKU-Y", 1, "1.00"), ("SKU-Z", 3, "1.00")],
                       receiver=SHANGHAI)
    decision = _route(order)
    assert decision.rule["kind"] == "fewest_packages"
    assert decision.as_json()["packages"] == [{"warehouse": "SH", "lines": [1, 2]},
                                              {"warehouse": "BJ", "lines": [3]}]

    allocated = order_allocate(order_oid=order.oid)
    assert allocated.routing["split"] is True
    assert allocated.warehouse.code == "SH"
    assert sorted(Reservation.objects.filter(order=order).values_list("warehouse__code", "sku__code")) == [
        ("BJ", "SKU-Z"), ("SH", "SKU-X"), ("SH", "SKU-Y")]


def test_lines_of_the_same_sku_are_summed_when_checking_a_warehouse():
    sh, cd = make_warehouse("SH"), make_warehouse("CD")
    set_stock(sh, "SKU-1", 3)
    set_stock(cd, "SKU-1", 5)
    decision = _route(make_order([("SKU-1", 2, "1.00"), ("SKU-1", 2, "1.00")], receiver=SHANGHAI))
    assert decision.warehouse.code == "CD"


def test_nowhere_to_ship_raises_insufficient_stock_with_details():
    _both_stocked("SKU-1", qty=1)
    with pytest.raises(InsufficientStock) as caught:
        _route(make_order([("SKU-1", 5, "1.00")]))
    assert caught.value.code == "insufficient_stock"
    assert caught.value.details["shortages"][0]["requested"] == 5


def test_inactive_rules_and_warehouses_are_ignored():
    sh, cd = _both_stocked("SKU-1")
    RoutingRule.objects.create(name="off", kind="region", priority=1, active=False,
                               params={"provinces": ["上海"], "warehouse": "CD"})
    sh.active = False
    sh.save()
    assert _route(make_order(receiver=SHANGHAI)).warehouse.code == "CD"


def test_geo_helpers():
    assert normalize_place("广西壮族自治区") == "广西"
    assert normalize_place("上海市") == "上海"
    assert centroid("上海", "上海市")[2] == "city"
    assert centroid("火星", "") is None
    shanghai, chengdu = centroid("", "上海")[:2], centroid("", "成都")[:2]
    assert 1600 < haversine_km(shanghai, chengdu) < 1700
