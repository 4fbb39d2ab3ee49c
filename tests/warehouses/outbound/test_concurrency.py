"""A run's two threads, a second run of the same batch, and a rollback in the middle of a
run — on PostgreSQL, really at the same time."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from orders.models import Order
from warehouses.carriers import CarrierError
from warehouses.carriers.sandbox import SandboxCarrier
from warehouses.models import BatchOrder, Parcel, Reservation, StockLevel
from warehouses.services.outbound import execute as ex
from warehouses.services.outbound import (
    outbound_batch_create,
    outbound_batch_execute,
    outbound_batch_rollback,
    outbound_batch_rollback_run,
    outbound_batch_run,
)
from warehouses.services.outbound.locks import batch_run_lock, batch_share

from .conftest import make_orders
from .test_resume import assert_no_duplicates

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _batch(n: int, **kwargs):
    orders = make_orders(n)
    batch = outbound_batch_create(oids=[o.oid for o in orders], handover="auto", **kwargs)
    outbound_batch_execute(batch_id=batch.pk)
    return batch, orders


def _in_thread(fn, *args, **kwargs):
    """Run ``fn`` in a thread with its own connection; ``result()`` waits for it."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 — re-raised by result()
            box["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()

    def result(timeout=120):
        thread.join(timeout)
        assert not thread.is_alive(), "still running"
        if "error" in box:
            raise box["error"]
        return box.get("value")

    result.thread = thread
    return result


def test_the_downstream_thread_runs_beside_the_chunks(three_warehouses, monkeypatch):
    """Tracking numbers are stored while later chunks are still being allocated."""
    monkeypatch.setattr(ex, "CHUNK", 30)
    batch, _ = _batch(150)
    seen = []

    def hook(step, **info):
        seen.append((step, threading.current_thread().name))
        if step == "chunk":
            time.sleep(0.3)  # a slow chunk: the other thread gets on meanwhile

    monkeypatch.setattr(ex, "after_commit_hook", hook)
    batch = outbound_batch_run(batch_id=batch.pk)
    assert batch.status == "done"
    assert_no_duplicates(batch, 150)
    chunks = [i for i, (step, _) in enumerate(seen) if step == "chunk"]
    tracked = [i for i, (step, name) in enumerate(seen)
               if step == "tracked" and name == "outbound-downstream"]
    assert tracked and tracked[0] < chunks[-1]  # before the last chunk was done


def test_two_runs_of_one_batch_at_once_do_everything_once(three_warehouses, monkeypatch):
    monkeypatch.setattr(ex, "CHUNK", 40)
    batch, _ = _batch(120)
    other = _in_thread(outbound_batch_run, batch_id=batch.pk)
    mine = outbound_batch_run(batch_id=batch.pk)
    theirs = other()
    batch.refresh_from_db()
    assert {mine.status, theirs.status, batch.status} == {"done"}
    assert batch.progress_done == 120 and batch.progress_failed == 0
    assert_no_duplicates(batch, 120)


def test_rollback_in_the_middle_of_a_run(three_warehouses, monkeypatch):
    """Asked while both threads are busy: answered at once; the run stops; the
    compensation waits for it and then restores every order not handed over."""
    monkeypatch.setattr(ex, "CHUNK", 30)
    batch, orders = _batch(150)
    ids = [o.pk for o in orders]
    stock_before = {s.pk: s.on_hand for s in StockLevel.objects.all()}
    asked = {}

    def hook(step, **info):
        if step == "chunk" and threading.current_thread().name != "outbound-downstream":
            asked["n"] = asked.get("n", 0) + 1
            if asked["n"] == 3:
                started = time.monotonic()
                outbound_batch_rollback(batch_id=batch.pk)
                asked["seconds"] = time.monotonic() - started

    monkeypatch.setattr(ex, "after_commit_hook", hook)
    stopped = outbound_batch_run(batch_id=batch.pk)
    assert stopped.status == "rolled_back"
    assert asked["seconds"] < 2
    assert BatchOrder.objects.filter(batch=batch, step="planned").exists()  # it did stop

    monkeypatch.setattr(ex, "after_commit_hook", None)
    batch = outbound_batch_rollback_run(batch_id=batch.pk)
    shipped = set(Order.objects.filter(pk__in=ids, status="shipped").values_list("pk", flat=True))
    others = set(Order.objects.filter(pk__in=ids).exclude(pk__in=shipped)
                 .values_list("status", flat=True))
    assert others <= {"approved"}
    assert Reservation.objects.count() == 0
    assert not Parcel.objects.filter(item__batch=batch).exclude(item__order_id__in=shipped) \
        .exclude(status="void").exists()
    # Stock: reserved back to zero, on hand down by exactly what the shipped parcels took.
    left = {}
    for p in Parcel.objects.filter(item__order_id__in=shipped).select_related("wave"):
        for ln in p.lines:
            key = (p.wave.warehouse_id, ln["sku_id"])
            left[key] = left.get(key, 0) + ln["quantity"]
    for s in StockLevel.objects.all():
        assert s.reserved == 0
        assert s.on_hand == stock_before[s.pk] - left.get((s.warehouse_id, s.sku_id), 0)
    report = batch.rollback_report
    assert len(report["not_rolled_back"]) == len(shipped)
    assert {r["reason"] for r in report["not_rolled_back"]} <= {"handed_over"}


def test_a_step_does_not_hold_up_a_rollback_request_but_the_compensation_waits_for_the_run(
        three_warehouses):
    batch, _ = _batch(6)
    step_open, release = threading.Event(), threading.Event()

    def step():  # a step of the run, holding the batch row as steps do
        with transaction.atomic():
            batch_share(batch.pk)
            step_open.set()
            release.wait(30)

    holder = _in_thread(step)
    assert step_open.wait(10)
    started = time.monotonic()
    outbound_batch_rollback(batch_id=batch.pk)
    assert time.monotonic() - started < 2
    release.set()
    holder()

    running, done = threading.Event(), threading.Event()

    def run():  # an execution run that has not stopped yet
        with batch_run_lock(batch.pk):
            running.set()
            done.wait(30)

    execution = _in_thread(run)
    assert running.wait(10)
    compensation = _in_thread(outbound_batch_rollback_run, batch_id=batch.pk)
    time.sleep(0.5)
    assert compensation.thread.is_alive()  # waits for the run to end
    done.set()
    execution()
    assert compensation().rolled_back_at is not None


def test_a_carrier_failure_in_the_downstream_thread_fails_the_batch(three_warehouses,
                                                                     monkeypatch):
    monkeypatch.setattr(ex, "CHUNK", 30)
    monkeypatch.setattr("warehouses.services.outbound.carrier_steps.CARRIER_TRIES", 1)

    def down(self, requests):
        raise CarrierError("carrier down")

    monkeypatch.setattr(SandboxCarrier, "create_waybills", down)
    batch, _ = _batch(90)
    batch = outbound_batch_run(batch_id=batch.pk)
    assert batch.status == "failed" and "carrier down" in batch.error
    assert not Parcel.objects.filter(item__batch=batch, tracking_no__isnull=False).exists()
    assert not any(t.name == "outbound-downstream" for t in threading.enumerate())
