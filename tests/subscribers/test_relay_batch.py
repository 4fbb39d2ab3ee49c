"""The relay works in batches: an order's due chain is claimed together, sent in order, and
cut short (given back untouched) at the first delivery that does not finish; a batch costs
a fixed number of statements however many deliveries it holds."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from channels_adapters.subscribers.models import Delivery, DeliveryAttempt
from channels_adapters.subscribers.services.outbox import outbox_publish
from channels_adapters.subscribers.services.relay import deliveries_claim, deliveries_relay

from .helpers import ingest, subscribe

pytestmark = pytest.mark.django_db


def chain(order):
    return list(Delivery.objects.filter(oid=order.oid).order_by("seq"))


def test_an_orders_due_deliveries_are_claimed_together_in_order(receiver):
    subscribe(receiver.url)
    orders = ingest(3)
    jobs = deliveries_claim(limit=50)
    per_order = {}
    for job in jobs:
        per_order.setdefault(job.oid, []).append(job.delivery_id)
    assert set(per_order) == {o.oid for o in orders}
    for order in orders:
        expected = [d.pk for d in chain(order)]
        assert len(expected) >= 2 and per_order[order.oid] == expected
    assert not Delivery.objects.exclude(status="sending").exists()
    assert all(d.body for d in Delivery.objects.all())  # stored at the claim


def test_a_retry_cuts_the_chain_and_the_rest_is_given_back_untouched(receiver):
    receiver.answer = lambda n, path: 503 if n == 1 else 200
    subscribe(receiver.url)
    (order,) = ingest()
    head, *rest = chain(order)
    deliveries_relay(budget=0.01)  # one claim: the head fails, the chain waits behind it
    assert [h.headers["X-Liuzhuan-Delivery"] for h in receiver.hits] == [str(head.pk)]
    for delivery in Delivery.objects.filter(pk__in=[d.pk for d in rest]):
        assert delivery.status == "pending" and delivery.attempts == 0
        assert not DeliveryAttempt.objects.filter(delivery=delivery).exists()
    head.refresh_from_db()
    assert head.status == "pending" and head.attempts == 1
    deliveries_relay(budget=5)
    sent = [h.headers["X-Liuzhuan-Delivery"] for h in receiver.ok_hits()]
    assert sent == [str(d.pk) for d in chain(order)]


def test_a_batch_costs_the_same_statements_for_one_order_or_ten(receiver):
    subscribe(receiver.url)
    ingest(1)

    def cost():
        with CaptureQueriesContext(connection) as ctx:
            deliveries_relay(budget=5)
        return len(ctx.captured_queries)

    one = cost()
    ingest(10)
    assert cost() == one
    assert not Delivery.objects.exclude(status="succeeded").exists()


def test_a_chain_is_cut_at_the_first_unfinished_delivery_of_the_order_only(receiver):
    receiver.answer = lambda n, path: 503 if path == "/a/" else 200
    subscribe(receiver.url + "/a/", name="a")
    subscribe(receiver.url + "/b/", name="b")
    (order,) = ingest()
    outbox_publish(type="alert.opened", oid=None, data={})
    deliveries_relay(budget=0.01)
    a = Delivery.objects.filter(subscription__name="a", oid=order.oid).order_by("seq")
    assert [d.attempts for d in a] == [1] + [0] * (a.count() - 1)
    b = Delivery.objects.filter(subscription__name="b")
    assert set(b.values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.django_db(transaction=True)
def test_a_delivery_is_not_claimed_while_an_earlier_one_is_held_elsewhere(receiver):
    subscribe(receiver.url)
    (order,) = ingest()
    head, follower, *_ = chain(order)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().get(pk=head.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert deliveries_claim(limit=50) == []  # head skipped, follower not taken
    finally:
        release.set()
        thread.join()
    assert [j.delivery_id for j in deliveries_claim(limit=50)][:2] == [head.pk, follower.pk]
