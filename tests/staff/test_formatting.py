"""Staff screens: amounts as ¥1,234.50, times in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from core.formatting import yuan
from orders.models import Order
from tests.factories.orders_db import order_in_status


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("1234.5"), "¥1,234.50"), (Decimal("0"), "¥0.00"), ("1234567.005", "¥1,234,567.01"),
    (Decimal("-88.1"), "-¥88.10"), (None, "–"), ("n/a", "–"),
])
def test_yuan(value, text):
    assert yuan(value) == text


def test_template_filter():
    rendered = Template("{% load liuzhuan_format %}{{ v|yuan }}").render(
        Context({"v": Decimal("1234.5")}))
    assert rendered == "¥1,234.50"


@pytest.mark.django_db
def test_order_list_shows_yuan_and_shanghai_time(admin_client):
    order = order_in_status("paid", lines=[("SKU-1", 1, "1234.50")])
    # 2026-11-11 20:30 UTC is already 12 Nov 04:30 in Shanghai
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 11, 11, 20, 30, tzinfo=UTC))
    page = admin_client.get("/admin/orders/order/").content.decode()
    assert "¥1,234.50" in page
    assert "Nov. 12, 2026, 4:30 a.m." in page
