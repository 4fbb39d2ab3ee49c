from __future__ import annotations

import pytest
from django.db import transaction

from channels_adapters.subscribers.models import Delivery, OutboxEvent
from channels_adapters.subscribers.services.outbox import outbox_publish
from channels_adapters.subscribers.services.relay import deliveries_relay
from orders.services.transitions import order_transition

from .helpers import ingest, subscribe

pytestmark = pytest.mark.django_db


def test_order_events_are_written_to_the_outbox_in_the_same_transaction(receiver):
    sub = subscribe(receiver.url + "/erp/")
    (order,) = ingest()
    types = list(OutboxEvent.objects.filter(oid=order.oid).order_by("id").values_list("type", flat=True))
    assert types[:2] == ["order.created", "order.paid"]
    assert Delivery.objects.filter(subscription=sub, oid=order.oid).count() == len(types)


def test_a_rolled_back_change_leaves_no_outbox_row(receiver):
    subscribe(receiver.url)
    (order,) = ingest(status="pending_payment")
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            order_transition(oid=order.oid, name="pay", actor=None)
            raise RuntimeError("boom")
    assert OutboxEvent.objects.count() == before


def test_event_type_filter_and_inactive_subscriptions(receiver):
    wms = subscribe(receiver.url, name="wms", event_types=["order.paid"])
    off = subscribe(receiver.url, name="off", active=False)
    ingest()
    assert set(Delivery.objects.filter(subscription=wms).values_list("event_type", flat=True)) == {"order.paid"}
    assert not Delivery.objects.filter(subscription=off).exists()


def test_non_public_order_events_stay_inside(receiver):
    from orders.services.events import order_event_record

    sub = subscribe(receiver.url)
    (order,) = ingest()
    with transaction.atomic():
        order_event_record(order=order, type="order.note_added", payload={"x": 1})
    assert not Delivery.objects.filter(subscription=sub, event_type="order.note_added").exists()


def test_outbox_publish_for_other_events(receiver):
    sub = subscribe(receiver.url)
    event = outbox_publish(type="alert.opened", oid=None, data={"kind": "status_mismatch"})
    assert Delivery.objects.get(subscription=sub).event == event
    with pytest.raises(Exception) as exc:
        outbox_publish(type="order.exploded", oid=None, data={})
    assert exc.value.code == "unknown_event_type"


def test_one_relay_kick_per_transaction(django_capture_on_commit_callbacks, receiver):
    subscribe(receiver.url)
    with django_capture_on_commit_callbacks() as callbacks:
        ingest()  # two events in one transaction
    from channels_adapters.subscribers.services.outbox import relay_kick

    assert [c for c in callbacks if c is relay_kick] == [relay_kick]


def test_relay_delivers_in_order(receiver):
    subscribe(receiver.url)
    (order,) = ingest(status="pending_payment")
    order_transition(oid=order.oid, name="pay", actor=None)
    expected = list(OutboxEvent.objects.filter(oid=order.oid).order_by("id").values_list("type", flat=True))
    assert expected[:2] == ["order.created", "order.paid"]
    assert deliveries_relay(budget=5) == len(expected)
    import json

    types = [json.loads(h.body)["type"] for h in receiver.hits]
    assert types == expected
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
