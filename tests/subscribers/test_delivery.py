"""Delivery exactly per DESIGN §4: signature, headers, retries, dead letters, breaker."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from django.utils import timezone

from channels_adapters.subscribers.event_types import ORDER_EVENT_TYPES
from channels_adapters.subscribers.models import Delivery, DeliveryAttempt, Subscription
from channels_adapters.subscribers.services.outbox import outbox_publish
from channels_adapters.subscribers.services.relay import deliveries_relay

from .helpers import SECRET, ingest, subscribe

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "channels_adapters/subscribers/README.md"


def readme_verifier():
    """The receiver a customer writes from the README alone: its python block, executed."""
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102
    return namespace["liuzhuan_verify"]


def test_every_delivery_verifies_with_the_readme_snippet(receiver):
    subscribe(receiver.url + "/hook/")
    orders = ingest(3)
    outbox_publish(type="alert.opened", oid=orders[0].oid, data={"kind": "unknown_sku", "note": "商品"})
    sent = deliveries_relay(budget=5)
    assert sent == len(receiver.hits) >= 7
    verify = readme_verifier()
    for hit in receiver.hits:
        assert verify(SECRET, hit.headers, hit.body)
        assert not verify("wrong-secret-0123456789", hit.headers, hit.body)
        assert not verify(SECRET, hit.headers, hit.body + b" ")
        body = json.loads(hit.body)
        assert list(body) == ["id", "type", "occurred_at", "oid", "data"]
        assert hit.headers["X-Liuzhuan-Event"] == body["type"]
        assert Delivery.objects.filter(pk=hit.headers["X-Liuzhuan-Delivery"]).exists()
        assert abs(int(hit.headers["X-Liuzhuan-Timestamp"]) - time.time()) < 30
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*\+08:00", body["occurred_at"])
    created = next(json.loads(h.body) for h in receiver.hits if b"order.created" in h.body)
    assert created["data"]["amounts"]["paid"] == "99.00"
    assert created["data"]["channel_order_id"] == orders[0].channel_order_id or created["oid"]


def test_retry_keeps_delivery_id_and_bytes_and_re_signs(receiver):
    receiver.answer = lambda n, path: 503 if n <= 2 else 200
    subscribe(receiver.url)
    outbox_publish(type="invoice.issued", oid=None, data={"invoice": "INV-1"})
    deliveries_relay(budget=5)
    assert [h.answered for h in receiver.hits] == [503, 503, 200]
    assert len({h.headers["X-Liuzhuan-Delivery"] for h in receiver.hits}) == 1
    assert len({h.body for h in receiver.hits}) == 1
    verify = readme_verifier()
    assert all(verify(SECRET, h.headers, h.body) for h in receiver.hits)
    delivery = Delivery.objects.get()
    assert delivery.status == "succeeded" and delivery.attempts == 3
    log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.status_code for a in log] == [503, 503, 200]
    assert [a.outcome for a in log] == ["pending", "pending", "succeeded"]
    assert all(a.duration_ms >= 0 for a in log) and log[0].response_excerpt == '{"error":"nope"}'


def test_400_is_not_retried_and_visible_as_failed(receiver):
    receiver.answer = lambda n, path: 400
    subscribe(receiver.url)
    outbox_publish(type="alert.opened", oid=None, data={})
    deliveries_relay(budget=3)
    assert len(receiver.hits) == 1
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.last_status_code == 400
    assert "not retried" in delivery.last_error
    assert delivery.finished_at is not None


@pytest.mark.parametrize("code", [408, 429, 500])
def test_retryable_codes(receiver, code):
    receiver.answer = lambda n, path: code if n == 1 else 200
    subscribe(receiver.url)
    outbox_publish(type="alert.opened", oid=None, data={})
    deliveries_relay(budget=3)
    assert [h.answered for h in receiver.hits] == [code, 200]


def test_dead_letter_after_the_limit(receiver, settings):
    settings.LIUZHUAN_WEBHOOKS = {**settings.LIUZHUAN_WEBHOOKS, "max_attempts": 3,
                                  "breaker_threshold": 100}
    receiver.answer = lambda n, path: 500
    subscribe(receiver.url)
    outbox_publish(type="alert.opened", oid=None, data={})
    deliveries_relay(budget=5)
    delivery = Delivery.objects.get()
    assert delivery.status == "dead" and delivery.attempts == 3 == len(receiver.hits)


def test_connection_refused_and_timeouts_are_logged_and_retried(receiver, settings):
    settings.LIUZHUAN_WEBHOOKS = {**settings.LIUZHUAN_WEBHOOKS, "max_attempts": 2}
    subscribe("http://127.0.0.1:9/nothing-listens-here/", name="dead")
    outbox_publish(type="alert.opened", oid=None, data={})
    deliveries_relay(budget=3)
    delivery = Delivery.objects.get()
    assert delivery.status == "dead"
    assert "ConnectionRefused" in DeliveryAttempt.objects.filter(delivery=delivery).first().error


def test_order_is_kept_per_order_while_an_endpoint_fails(receiver, settings):
    settings.LIUZHUAN_WEBHOOKS = {**settings.LIUZHUAN_WEBHOOKS, "breaker_threshold": 1000}
    receiver.answer = lambda n, path: 200 if n % 3 == 0 else 503  # two failures of three
    subscribe(receiver.url)
    orders = ingest(4, status="pending_payment")
    from orders.services.transitions import order_transition

    for order in orders:
        order_transition(oid=order.oid, name="pay", actor=None)
    deliveries_relay(budget=10)
    per_order: dict[str, list[str]] = {}
    for hit in receiver.ok_hits():
        body = json.loads(hit.body)
        per_order.setdefault(body["oid"], []).append(body["type"])
    for order in orders:
        expected = list(order.events.filter(type__in=ORDER_EVENT_TYPES).order_by("id").values_list("type", flat=True))
        assert per_order[str(order.oid)] == expected
    assert not Delivery.objects.exclude(status="succeeded").exists()


def test_circuit_breaker_pauses_a_dead_endpoint_without_slowing_others(receiver, settings):
    settings.LIUZHUAN_WEBHOOKS = {**settings.LIUZHUAN_WEBHOOKS, "breaker_threshold": 3,
                                  "breaker_cooldown": 60, "breaker_cooldown_max": 60}
    dead = subscribe("http://127.0.0.1:9/", name="dead")
    alive = subscribe(receiver.url, name="alive")
    for i in range(10):
        outbox_publish(type="alert.opened", oid=None, data={"n": i})
    started = time.monotonic()
    deliveries_relay(budget=5)
    assert time.monotonic() - started < 4
    dead.refresh_from_db()
    assert dead.consecutive_failures == 3
    assert dead.breaker_open_until > timezone.now()
    assert DeliveryAttempt.objects.filter(delivery__subscription=dead).count() == 3
    assert Delivery.objects.filter(subscription=alive, status="succeeded").count() == 10
    # Half-open after the pause: one probe, and success closes the circuit.
    Subscription.objects.filter(pk=dead.pk).update(url=receiver.url + "/back/",
                                                   breaker_open_until=timezone.now())
    deliveries_relay(budget=5)
    dead.refresh_from_db()
    assert dead.consecutive_failures == 0 and dead.breaker_open_until is None
    assert Delivery.objects.filter(subscription=dead, status="succeeded").count() == 10
