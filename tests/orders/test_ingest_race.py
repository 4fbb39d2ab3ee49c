"""Concurrent and out-of-order ingestion on a real PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import close_old_connections, connection

from orders.models import Order, OrderEvent
from orders.services.ingest import order_ingest
from tests.factories.orders import canonical_order, later, make_shop, make_sku

T0 = datetime(2026, 11, 11, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_ingest_the_same_order_once():
    make_shop()
    make_sku()
    canonical = canonical_order(channel_order_id="4000000000000000001", modified=T0)
    barrier = threading.Barrier(50)
    outcomes, errors = [], []

    def work():
        try:
            barrier.wait(timeout=30)
            outcomes.append(order_ingest(canonical=canonical, source="race").outcome)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        for _ in range(50):
            pool.submit(work)
    close_old_connections()
    assert errors == []
    assert sorted(set(outcomes)) == ["created", "duplicate"]
    assert outcomes.count("created") == 1
    assert Order.objects.filter(channel_order_id="4000000000000000001").count() == 1
    assert OrderEvent.objects.filter(type="order.created").count() == 1


@pytest.mark.django_db
def test_older_version_after_newer_changes_nothing():
    make_shop()
    make_sku()
    new = canonical_order(channel_order_id="4000000000000000002", modified=later(T0, 10),
                          status="shipped", channel_status="WAIT_BUYER_CONFIRM_GOODS",
                          carrier="SF", tracking_no="SF100")
    old = canonical_order(channel_order_id="4000000000000000002", modified=T0, status="paid",
                          seller_memo="old memo")
    order_ingest(canonical=new, source="test")
    events = OrderEvent.objects.count()
    result = order_ingest(canonical=old, source="test")
    assert result.outcome == "stale"
    order = Order.objects.get(channel_order_id="4000000000000000002")
    assert order.status == "shipped"
    assert order.seller_memo == ""
    assert order.channel_status == "WAIT_BUYER_CONFIRM_GOODS"
    assert OrderEvent.objects.count() == events


@pytest.mark.django_db
def test_newer_version_moves_forward_and_same_version_is_duplicate():
    make_shop()
    make_sku()
    first = canonical_order(channel_order_id="4000000000000000003", modified=T0,
                            status="pending_payment", channel_status="WAIT_BUYER_PAY")
    assert order_ingest(canonical=first, source="test").outcome == "created"
    assert order_ingest(canonical=first, source="test").outcome == "duplicate"
    paid = canonical_order(channel_order_id="4000000000000000003", modified=later(T0),
                           status="paid")
    assert order_ingest(canonical=paid, source="test").outcome == "updated"
    order = Order.objects.get(channel_order_id="4000000000000000003")
    assert order.status == "paid"
    assert list(order.events.values_list("type", flat=True)) == ["order.created", "order.paid"]


@pytest.mark.django_db
def test_channel_cancel_after_shipment_is_recorded_not_applied():
    make_shop()
    make_sku()
    cid = "4000000000000000004"
    order_ingest(canonical=canonical_order(channel_order_id=cid, modified=T0, status="shipped"),
                 source="test")
    result = order_ingest(
        canonical=canonical_order(channel_order_id=cid, modified=later(T0), status="cancelled",
                                  refund_status="refunded", channel_status="TRADE_CLOSED"),
        source="test",
    )
    order = result.order
    assert order.status == "shipped"
    assert order.refund_status == "refunded"
    types = list(order.events.values_list("type", flat=True))
    assert "order.status_mismatch" in types and "order.refund_changed" in types


@pytest.mark.django_db
def test_channel_hold_and_lift():
    make_shop()
    make_sku()
    cid = "4000000000000000005"
    order_ingest(canonical=canonical_order(channel_order_id=cid, modified=T0, status="on_hold",
                                           hold_reason="channel_hold"), source="test")
    order = Order.objects.get(channel_order_id=cid)
    assert (order.status, order.hold_reason) == ("on_hold", "channel_hold")
    order_ingest(canonical=canonical_order(channel_order_id=cid, modified=later(T0), status="paid"),
                 source="test")
    order = Order.objects.get(channel_order_id=cid)
    assert (order.status, order.hold_reason) == ("paid", "")
