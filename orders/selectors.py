"""Reads of orders and master data, with their joins decided here."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from orders.models import Customer, Order, OrderEvent, OrderLine, Shop, Sku


def order_list() -> QuerySet[Order]:
    return Order.objects.select_related("shop", "customer", "warehouse").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("line_no"))
    )


def order_get(*, oid) -> Order:
    return order_list().get(oid=oid)


def order_get_by_binding(*, channel: str, channel_order_id: str, shop: str | None = None) -> Order:
    qs = order_list().filter(channel=channel, channel_order_id=channel_order_id)
    if shop:
        qs = qs.filter(shop__code=shop)
    return qs.get()


def order_events(*, order: Order) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order=order).select_related("actor").order_by("id")


def shop_list() -> QuerySet[Shop]:
    return Shop.objects.all().order_by("code")


def sku_list() -> QuerySet[Sku]:
    return Sku.objects.select_related("tax_code").prefetch_related("substitutes").order_by("code")


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.all().order_by("id")
