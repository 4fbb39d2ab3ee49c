"""Journeys: log in; find a stuck order from the dashboard and open it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from tests.factories.orders_db import order_in_status

from .conftest import login, shot

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_login_shows_the_dashboard(page, staff):
    staff("alice")
    page.goto(page.base_url + "/admin/")
    assert "/admin/login/" in page.url  # not logged in: the login page
    shot(page, "01-login")
    login(page, "alice")
    assert page.locator("#tile-backlog").is_visible()
    assert page.locator("#tile-orders_today").is_visible()
    shot(page, "02-dashboard")


def test_find_a_stuck_order_from_the_dashboard(page, staff):
    # Given an order held for review two days ago and a fresh approved one
    stuck = order_in_status("on_hold")
    Order.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(days=2))
    order_in_status("approved")
    staff("alice")
    login(page, "alice")
    # When the staff member follows the "On hold" row of the backlog tile
    tile = page.locator("#tile-backlog")
    tile.get_by_role("link", name="On hold").click()
    page.wait_for_url("**/admin/orders/order/?status__exact=on_hold")
    shot(page, "03-backlog-on-hold")
    # Then the filtered list shows exactly the stuck order, and its page opens
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert stuck.channel_order_id in rows.first.inner_text()
    rows.first.locator("th a").click()
    page.wait_for_url(re.compile(rf".*/admin/orders/order/{stuck.pk}/change/.*"))
    assert stuck.channel_order_id in page.content()
    assert page.get_by_role("button", name="Release").is_visible()
    shot(page, "04-stuck-order")
