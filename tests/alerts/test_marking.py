"""Event-driven detection: hooks mark orders with one cheap insert, the drain detects."""

from __future__ import annotations

import dramatiq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.alerts.models import DirtyOrder
from orders.alerts.services.detection import alerts_detect_marked
from orders.alerts.services.lifecycle import alerts_publish
from orders.canonical import CanonicalReceiver
from orders.services.ingest import order_ingest
from orders.services.transitions import order_transition
from tests.factories.orders import canonical_order, make_shop, make_sku
from tests.factories.orders_db import order_in_status

from .conftest import open_alerts

pytestmark = pytest.mark.django_db


def test_ingest_marks_once_with_a_single_insert():
    make_shop()
    make_sku()
    with CaptureQueriesContext(connection) as ctx:
        order = order_ingest(canonical=canonical_order(), source="test").order
    inserts = [q for q in ctx.captured_queries if "alerts_dirtyorder" in q["sql"]]
    assert len(inserts) == 1
    assert not any("alerts_alert" in q["sql"] for q in ctx.captured_queries)
    assert DirtyOrder.objects.filter(order_id=order.pk).exists()


def test_drain_detects_marked_orders_and_empties_the_queue():
    make_shop()
    make_sku()
    receiver = CanonicalReceiver(name="王", phone="13800138000", province="上海", city="上海市",
                                 district="", address="世纪大道 100 号")
    order = order_ingest(canonical=canonical_order(receiver=receiver), source="test").order
    result = alerts_detect_marked()
    assert result.opened["address_suspect"]
    assert open_alerts("address_suspect", order)
    assert not DirtyOrder.objects.exists()
    assert alerts_detect_marked() is None


def test_status_change_marks_and_drain_resolves():
    order = order_in_status("approved")
    order_transition(oid=order.oid, name="hold", actor=None, source="test",
                     params={"reason": "out_of_stock"})
    alerts_detect_marked()
    assert open_alerts("out_of_stock", order)
    order_transition(oid=order.oid, name="release", actor=None, source="test")
    assert alerts_detect_marked().resolved["out_of_stock"] == 1


def test_commit_kicks_the_drain_actor_and_publishing_is_enqueued(django_capture_on_commit_callbacks):
    from orders.alerts.services import marking

    broker = dramatiq.get_broker()
    broker.flush_all()
    marking._last_kick[0] = 0.0
    order = order_in_status("approved")
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(oid=order.oid, name="hold", actor=None, source="test",
                         params={"reason": "out_of_stock"})
    queued = [m.actor_name for q in broker.queues for m in _messages(broker, q)]
    assert "alerts_detect_marked_task" in queued
    with django_capture_on_commit_callbacks(execute=True):
        result = alerts_detect_marked()
    queued = [m.actor_name for q in broker.queues for m in _messages(broker, q)]
    assert "alerts_publish_task" in queued
    assert alerts_publish(alert_ids=result.opened_ids) == result.opened_ids


def _messages(broker, queue_name):
    import json

    from dramatiq import Message

    q = broker.queues[queue_name]
    return [Message(**json.loads(raw)) for raw in list(q.queue)]
