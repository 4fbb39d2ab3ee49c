"""Integration contracts: stored order numbers, refusals before sending, payload variants."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from channels_adapters.contracts import order_number_get, order_numbers_assign
from channels_adapters.subscribers.models import (
    Contract,
    Delivery,
    DeliveryAttempt,
    DownstreamOrderNumber,
)
from channels_adapters.subscribers.services.outbox import outbox_publish
from channels_adapters.subscribers.services.relay import deliveries_relay

from .helpers import ingest, subscribe

pytestmark = pytest.mark.django_db


def wms_contract(**extra) -> Contract:
    return Contract.objects.create(name=extra.pop("name", "WMS"), order_number_length=18,
                                   order_number_prefix="LZ", **extra)


def test_18_char_order_number_is_stored_and_identical_on_every_retry(receiver):
    receiver.answer = lambda n, path: 503 if n <= 2 else 200
    contract = wms_contract()
    subscribe(receiver.url, contract=contract, event_types=["order.created"])
    (order,) = ingest()
    deliveries_relay(budget=5)
    numbers = [json.loads(h.body)["data"]["order_number"] for h in receiver.hits]
    assert len(numbers) == 3 and len(set(numbers)) == 1
    number = numbers[0]
    assert len(number) == 18 and number.startswith("LZ") and number[2:].isdigit()
    assert DownstreamOrderNumber.objects.get(contract=contract, oid=order.oid).number == number
    # Later events, other subscriptions with the same contract, replays: the stored number.
    assert order_number_get(contract=contract, oid=order.oid) == number


def test_order_numbers_unique_across_100k_orders():
    contract = wms_contract()
    oids = [uuid.uuid4() for _ in range(100_000)]
    started = time.monotonic()
    assert order_numbers_assign(contract=contract, oids=oids) == 100_000
    elapsed = time.monotonic() - started
    rows = list(DownstreamOrderNumber.objects.filter(contract=contract)
                .values_list("oid", "number"))
    assert len(rows) == 100_000
    assert len({number for _, number in rows}) == 100_000
    assert all(len(number) == 18 for _, number in rows)
    # Deterministic and stored: asking again returns the same numbers.
    sample = dict(rows[:500])
    for oid, number in sample.items():
        assert order_number_get(contract=contract, oid=oid) == number
    assert elapsed < 60


def test_collisions_get_the_next_deterministic_number(monkeypatch):
    from channels_adapters.subscribers.services import contracts as mod

    contract = wms_contract()
    real = mod._derive
    monkeypatch.setattr(mod, "_derive",
                        lambda c, oid, bump: "LZ" + "0" * 16 if bump == 0 else real(c, oid, bump))
    a, b = uuid.uuid4(), uuid.uuid4()
    first = order_number_get(contract=contract, oid=a)
    second = order_number_get(contract=contract, oid=b)
    assert first == "LZ" + "0" * 16 and second != first and len(second) == 18
    assert order_number_get(contract=contract, oid=b) == second


def test_stored_number_that_breaks_the_contract_is_refused_before_sending(receiver):
    contract = wms_contract()
    subscribe(receiver.url, contract=contract)
    oid = uuid.uuid4()
    DownstreamOrderNumber.objects.create(contract=contract, oid=oid, number="LZ123")  # legacy
    outbox_publish(type="alert.opened", oid=oid, data={})
    deliveries_relay(budget=3)
    assert receiver.hits == []
    delivery = Delivery.objects.get()
    assert delivery.status == "refused"
    assert "requires exactly 18" in delivery.last_error
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.outcome == "refused" and attempt.status_code is None
    assert attempt.error.startswith("contract_order_number_length")


def test_body_size_limit_is_refused_and_next_event_still_goes(receiver):
    contract = Contract.objects.create(name="tiny", max_body_bytes=300)
    subscribe(receiver.url, contract=contract)
    oid = uuid.uuid4()
    outbox_publish(type="alert.opened", oid=oid, data={"blob": "x" * 500})
    outbox_publish(type="alert.opened", oid=oid, data={"small": 1})
    deliveries_relay(budget=3)
    statuses = list(Delivery.objects.order_by("seq").values_list("status", flat=True))
    assert statuses == ["refused", "succeeded"]
    assert "allows at most 300" in Delivery.objects.order_by("seq").first().last_error


@pytest.mark.parametrize("variant", ["standard", "full", "compact"])
def test_payload_variants(receiver, variant):
    contract = Contract.objects.create(name=variant, payload_variant=variant)
    subscribe(receiver.url, contract=contract, event_types=["order.created"])
    ingest()
    deliveries_relay(budget=3)
    data = json.loads(receiver.hits[0].body)["data"]
    assert data["status"] and data["channel_order_id"]
    assert ("lines" in data) == (variant == "full")
    assert ("amounts" in data) == (variant != "compact")
    if variant == "full":
        assert data["lines"][0]["sku"] == "SKU-1" and data["lines"][0]["amount"] == "99.00"


def test_rate_limit_spaces_requests(receiver):
    contract = Contract.objects.create(name="slow wms", max_requests_per_second=5)
    subscribe(receiver.url, contract=contract)
    for i in range(12):
        outbox_publish(type="alert.opened", oid=None, data={"n": i})
    deliveries_relay(budget=10)
    times = sorted(h.at for h in receiver.hits)
    assert len(times) == 12
    for i in range(len(times) - 5):
        assert times[i + 5] - times[i] > 1.0
