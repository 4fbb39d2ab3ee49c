from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.canonical import CanonicalBuyer
from orders.models import Customer, Order
from tests.factories.orders import make_sku
from tests.factories.warehouses import make_order
from warehouses.models import ScoringPolicy
from warehouses.selectors import outbound_queue
from warehouses.services.scoring import (
    order_score,
    orders_rescore,
    scoring_policy_activate,
    scoring_policy_publish,
)

pytestmark = pytest.mark.django_db


def _vip_cold_urgent_order(presale=True):
    make_sku("SKU-C", cold_chain=True, high_value=True)
    now = timezone.now()
    order = make_order(
        [("SKU-C", 1, "1234.00")],
        buyer=CanonicalBuyer(channel_buyer_id="vip-1", nick="大客户", level="vip"),
        promised_ship_by=now + timedelta(hours=1), paid_at=now - timedelta(hours=5),
        presale=presale,
    )
    Customer.objects.filter(channel_buyer_id="vip-1").update(level="vip")
    return order, now


def test_breakdown_names_every_factor_and_sums_to_the_score():
    order, now = _vip_cold_urgent_order()
    order = order_score(order=Order.objects.get(pk=order.pk), now=now)
    labels = {item["factor"]: item["label"] for item in order.priority_breakdown}
    assert labels == {
        "customer_level": "vip +30", "ship_by": "ships within 2 h +25",
        "cold_chain": "cold chain +15", "high_value": "high value +10", "presale": "presale -10",
        "age": "waiting 5 h +5", "paid_amount": "paid ¥1234.00 +12",
    }
    assert order.priority_score == Decimal(sum(i["points"] for i in order.priority_breakdown)) == 87
    stored = Order.objects.get(pk=order.pk)
    assert stored.priority_score == order.priority_score
    assert stored.priority_breakdown == order.priority_breakdown


def test_new_paid_orders_are_scored_on_arrival():
    order, _ = _vip_cold_urgent_order()
    assert order.priority_score > 0
    assert order.priority_score == sum(i["points"] for i in order.priority_breakdown)


def test_policy_change_rescores_all_eligible_orders_in_one_update():
    orders = [make_order() for _ in range(5)]
    cancelled = make_order(status="cancelled", evaluate=False)
    with CaptureQueriesContext(connection) as ctx:
        scoring_policy_publish(values={"amount_per_100": Decimal("50"), "amount_max": 100},
                               rescore="now")
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().startswith("UPDATE orders_order")]
    assert len(updates) == 1
    for order in orders:
        order.refresh_from_db()
        assert order.priority_breakdown[-1]["label"] == "paid ¥99.00 +49"
        assert order.priority_score == sum(i["points"] for i in order.priority_breakdown)
    cancelled.refresh_from_db()
    assert cancelled.priority_breakdown == []
    assert ScoringPolicy.objects.get(active=True).version == 2


def test_activating_an_older_version_rescores_back():
    order = make_order()
    v1 = ScoringPolicy.objects.get(active=True)
    scoring_policy_publish(values={"amount_per_100": Decimal("50"), "amount_max": 100},
                           rescore="now")
    order.refresh_from_db()
    assert order.priority_score == 49
    scoring_policy_activate(policy=v1, rescore="now")
    order.refresh_from_db()
    assert order.priority_score == 0
    assert list(ScoringPolicy.objects.filter(active=True)) == [v1]


def test_publish_async_enqueues_rescoring_after_commit(django_capture_on_commit_callbacks):
    import dramatiq

    broker = dramatiq.get_broker()
    broker.flush_all()
    with django_capture_on_commit_callbacks(execute=True):
        scoring_policy_publish(values={"vip": 50})
    queued = [dramatiq.Message.decode(raw).actor_name for raw in broker.queues["outbound"].queue]
    assert queued == ["orders_rescore_task"]
    broker.flush_all()


def test_outbound_queue_is_ordered_by_score():
    low = make_order()
    high, _ = _vip_cold_urgent_order(presale=False)
    held, _ = _vip_cold_urgent_order(presale=True)  # presale: second-level review, not queued
    assert orders_rescore() == 3
    assert [o.pk for o in outbound_queue()] == [high.pk, low.pk]
