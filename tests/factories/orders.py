"""Factories for orders and master data (plain functions; no factory library needed)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from orders.canonical import CanonicalBuyer, CanonicalLine, CanonicalOrder, CanonicalReceiver
from orders.models import Customer, Shop, Sku

SHANGHAI = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def make_shop(code: str = "tb-main", channel: str = "taobao", **extra) -> Shop:
    shop, _ = Shop.objects.get_or_create(
        code=code, defaults={"channel": channel, "name": code, **extra}
    )
    return shop


def make_sku(code: str = "SKU-1", **extra) -> Sku:
    sku, _ = Sku.objects.get_or_create(code=code, defaults={"name": code, **extra})
    return sku


def make_customer(buyer_id: str = "buyer-1", channel: str = "taobao", **extra) -> Customer:
    customer, _ = Customer.objects.get_or_create(
        channel=channel, channel_buyer_id=buyer_id, defaults=extra
    )
    return customer


def canonical_order(
    *,
    shop_code: str = "tb-main",
    channel_order_id: str | None = None,
    status: str = "paid",
    modified: datetime | None = None,
    lines: list[tuple[str, int, str]] | None = None,
    shipping: str = "0.00",
    discount: str = "0.00",
    **extra,
) -> CanonicalOrder:
    """A realistic canonical order; ``lines`` are (sku, quantity, unit price)."""
    lines = lines or [("SKU-1", 2, "49.50")]
    canon_lines = tuple(
        CanonicalLine(
            sku=sku, quantity=qty, unit_price=Decimal(price),
            amount=Decimal(price) * qty, title=f"商品 {sku}", channel_line_id=f"L{i}",
        )
        for i, (sku, qty, price) in enumerate(lines, start=1)
    )
    goods = sum((line.amount for line in canon_lines), Decimal("0.00"))
    paid = goods - Decimal(discount) + Decimal(shipping)
    return CanonicalOrder(
        shop_code=shop_code,
        channel_order_id=channel_order_id or f"{3300000000000000000 + next(_seq)}",
        status=status,
        channel_status=extra.pop("channel_status", "WAIT_SELLER_SEND_GOODS"),
        channel_modified_at=modified or datetime(2026, 11, 11, 10, 0, tzinfo=SHANGHAI),
        buyer=extra.pop("buyer", CanonicalBuyer(channel_buyer_id="buyer-1", nick="小王")),
        receiver=extra.pop(
            "receiver",
            CanonicalReceiver(name="王小明", phone="13800138000", province="上海",
                              city="上海市", district="浦东新区", address="世纪大道 100 号"),
        ),
        goods=goods,
        discount=Decimal(discount),
        shipping=Decimal(shipping),
        paid=paid,
        lines=canon_lines,
        **extra,
    )


def later(dt: datetime, minutes: int = 1) -> datetime:
    return dt + timedelta(minutes=minutes)
