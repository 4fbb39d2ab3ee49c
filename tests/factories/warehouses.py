"""Factories for warehouses, stock and orders ready for allocation (plain functions)."""

from __future__ import annotations

from decimal import Decimal

from orders.canonical import CanonicalReceiver
from orders.models import Order
from orders.services.ingest import order_ingest
from tests.factories.orders import canonical_order, make_shop, make_sku
from warehouses.models import StockLevel, Warehouse
from warehouses.services.approval import order_approval_run

CITIES = {
    # code: (name, province, city, lat, lng)
    "SH": ("上海仓", "上海", "上海市", Decimal("31.230000"), Decimal("121.474000")),
    "CD": ("成都仓", "四川", "成都市", Decimal("30.573000"), Decimal("104.066000")),
    "GZ": ("广州仓", "广东", "广州市", Decimal("23.129000"), Decimal("113.264000")),
    "BJ": ("北京仓", "北京", "北京市", Decimal("39.904000"), Decimal("116.407000")),
}


def make_warehouse(code: str = "SH", **extra) -> Warehouse:
    name, province, city, lat, lng = CITIES.get(code, (code, "", "", None, None))
    defaults = {"name": name, "province": province, "city": city, "lat": lat, "lng": lng}
    defaults.update(extra)
    warehouse, _ = Warehouse.objects.update_or_create(code=code, defaults=defaults)
    return warehouse


def set_stock(warehouse: Warehouse, sku_code: str, on_hand: int, reserved: int = 0) -> StockLevel:
    sku = make_sku(sku_code)
    level, _ = StockLevel.objects.update_or_create(
        warehouse=warehouse, sku=sku, defaults={"on_hand": on_hand, "reserved": reserved}
    )
    return level


def receiver(province: str = "上海", city: str = "上海市", address: str = "世纪大道 100 号"):
    return CanonicalReceiver(name="王小明", phone="13800138000", province=province, city=city,
                             district="", address=address)


def make_order(lines=None, *, status: str = "paid", evaluate: bool = True, **extra) -> Order:
    """Ingest an order; a paid one then goes through the approval rules (as the enqueued
    actor would do after commit): ordinary orders end ``approved``."""
    make_shop()
    lines = lines or [("SKU-1", 1, "99.00")]
    for sku, *_ in lines:
        make_sku(sku)
    result = order_ingest(canonical=canonical_order(lines=lines, status=status, **extra),
                          source="test")
    if evaluate and result.order.status == "paid":
        order_approval_run(oid=result.order.oid)
    return Order.objects.get(pk=result.order.pk)


def level(warehouse: Warehouse, sku_code: str) -> StockLevel:
    return StockLevel.objects.get(warehouse=warehouse, sku__code=sku_code)
