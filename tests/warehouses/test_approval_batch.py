"""Approval in batches: the same verdicts and timeline as one order at a time, cheaper."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from channels_adapters.subscribers.models import OutboxEvent
from orders.canonical import CanonicalBuyer
from orders.models import Customer, Order, OrderEvent
from tests.factories.orders import make_sku
from tests.factories.warehouses import make_order, receiver
from warehouses.models import PriceFloor
from warehouses.services import approval_batch
from warehouses.services.approval import order_approval_run
from warehouses.services.approval_batch import (
    orders_approval_drain,
    orders_approval_run_many,
    orders_approval_sweep,
)
from warehouses.tasks import order_approval_run_task

pytestmark = pytest.mark.django_db

VARIANTS = [
    ({}, "approved", ""),
    ({"lines": [("SKU-1", 1, "60000.00")]}, "on_hold", "second_review"),
    ({"cross_border": True}, "on_hold", "second_review"),
    ({"presale": True}, "on_hold", "second_review"),
    ({"receiver": receiver(address="测试")}, "on_hold", "review"),
    ({"buyer": CanonicalBuyer(channel_buyer_id="bad", nick="x")}, "on_hold", "review"),
    ({"lines": [("SKU-FLOOR", 2, "50.00")]}, "on_hold", "review"),
    ({"lines": [("SKU-1", 1, "12.00"), ("SKU-2", 3, "7.50")]}, "approved", ""),
]


def waiting(n_copies: int = 1, prefix: str = "W") -> list[Order]:
    Customer.objects.get_or_create(channel="taobao", channel_buyer_id="bad", defaults={"blacklisted": True})
    PriceFloor.objects.get_or_create(sku=make_sku("SKU-FLOOR"), defaults={"min_unit_price": "80.00"})
    orders = []
    for copy in range(n_copies):
        for k, (extra, _, _) in enumerate(VARIANTS):
            orders.append(make_order(evaluate=False, channel_order_id=f"{prefix}{copy}-{k}", **extra))
    return orders


def timeline(order: Order) -> list:
    return [(e.type, e.source, e.payload) for e in OrderEvent.objects.filter(order=order).order_by("id")
            if e.type not in ("order.created", "order.paid")]


def test_a_batch_gives_every_order_what_it_gets_alone():
    alone, batch = waiting(prefix="A"), waiting(prefix="B")
    for order in alone:
        order_approval_run(oid=order.oid)
    assert orders_approval_run_many(oids=[o.oid for o in batch]) == len(batch)
    for a, b, (_, status, reason) in zip(alone, batch, VARIANTS, strict=True):
        a.refresh_from_db()
        b.refresh_from_db()
        assert (a.status, a.hold_reason) == (b.status, b.hold_reason) == (status, reason)
        ta, tb = timeline(a), timeline(b)
        for events in (ta, tb):  # rule ids/names are the same rows; only the order differs
            assert events and events[0][0] in ("order.approved", "order.on_hold")
        assert ta == tb
        assert (list(OutboxEvent.objects.filter(oid=a.oid).order_by("id").values_list("type", flat=True))
                == list(OutboxEvent.objects.filter(oid=b.oid).order_by("id").values_list("type", flat=True)))


def test_approvals_cost_the_same_statements_for_one_order_as_for_twenty():
    one = make_order(evaluate=False, channel_order_id="ONE")
    twenty = [make_order(evaluate=False, channel_order_id=f"T{i}") for i in range(20)]
    with CaptureQueriesContext(connection) as q1:
        orders_approval_run_many(oids=[one.oid])
    with CaptureQueriesContext(connection) as q20:
        orders_approval_run_many(oids=[o.oid for o in twenty])
    assert len(q20.captured_queries) == len(q1.captured_queries)
    assert Order.objects.filter(status="approved").count() == 21


def test_one_message_takes_every_waiting_order_and_the_rest_are_no_ops():
    orders = [make_order(evaluate=False, channel_order_id=f"M{i}") for i in range(5)]
    order_approval_run_task(str(orders[2].oid))
    assert set(Order.objects.values_list("status", flat=True)) == {"approved"}
    order_approval_run_task(str(orders[0].oid))  # its own message comes later: nothing to do
    assert OrderEvent.objects.filter(type="order.approved").count() == 5


def test_an_order_beyond_the_batch_is_still_evaluated_by_its_own_message():
    orders = [make_order(evaluate=False, channel_order_id=f"L{i}") for i in range(4)]
    assert orders_approval_sweep(oid=str(orders[3].oid), limit=2) == 3
    assert [Order.objects.get(pk=o.pk).status for o in orders] == ["approved", "approved", "paid", "approved"]


def test_the_queued_run_drains_batch_after_batch(monkeypatch):
    monkeypatch.setattr(approval_batch, "BATCH", 2)
    orders = [make_order(evaluate=False, channel_order_id=f"D{i}") for i in range(5)]
    assert orders_approval_drain() == 5
    assert {Order.objects.get(pk=o.pk).status for o in orders} == {"approved"}


@pytest.mark.django_db(transaction=True)
def test_an_order_locked_elsewhere_is_skipped_not_waited_for():
    orders = [make_order(evaluate=False, channel_order_id=f"K{i}") for i in range(3)]
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with transaction.atomic():
            Order.objects.select_for_update().get(pk=orders[1].pk)
            locked.set()
            release.wait(10)
        connection.close()

    t = threading.Thread(target=hold_lock)
    t.start()
    locked.wait(10)
    try:
        assert orders_approval_run_many() == 2
    finally:
        release.set()
        t.join()
    assert Order.objects.get(pk=orders[1].pk).status == "paid"
    assert orders_approval_run_many() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_approve_each_order_exactly_once():
    orders = [make_order(evaluate=False, channel_order_id=f"R{i}") for i in range(60)]
    errors, barrier = [], threading.Barrier(4)

    def sweep():
        try:
            barrier.wait()
            for _ in range(3):
                orders_approval_run_many(limit=10)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    orders_approval_run_many()  # whatever the 4 x 3 x 10 did not reach
    assert errors == []
    assert set(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)) == {"approved"}
    assert OrderEvent.objects.filter(type="order.approved").count() == 60
    assert OutboxEvent.objects.filter(type="order.approved").count() == 60
