"""Crash and resume: a killed worker never doubles a wave, a label or a tracking number."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from orders.models import Order
from warehouses.models import BatchOrder, Parcel, PickListLine, SandboxWaybill, Wave
from warehouses.services.outbound import execute as ex
from warehouses.services.outbound import (
    outbound_batch_create,
    outbound_batch_execute,
    outbound_batch_run,
)

from .conftest import make_orders, pdf_pages

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ROOT = Path(__file__).resolve().parents[3]


class Killed(BaseException):
    """Stands in for SIGKILL inside the process: nothing catches it, nothing cleans up."""


def assert_no_duplicates(batch, n):
    parcels = list(Parcel.objects.filter(item__batch=batch))
    numbers = [p.tracking_no for p in parcels]
    assert len(parcels) == n and len(set(numbers)) == n and all(numbers)
    # The carrier minted exactly one number per parcel, never a second one.
    assert SandboxWaybill.objects.count() == n
    assert BatchOrder.objects.filter(batch=batch, step="shipped").count() == n
    waves = list(Wave.objects.filter(batch=batch))
    assert sum(w.orders_count for w in waves) == n
    assert sum(pdf_pages(bytes(w.labels_pdf)) for w in waves) == n
    assert len({(p.item_id, p.package) for p in parcels}) == n
    orders = Order.objects.filter(outbound_items__batch=batch)
    assert {o.status for o in orders} == {"shipped"}
    assert sorted(o.tracking_no for o in orders) == sorted(numbers)
    assert sum(PickListLine.objects.filter(wave__batch=batch).values_list("quantity", flat=True)) \
        == sum(ln["quantity"] for p in parcels for ln in p.lines)


def test_crash_points_then_resume(three_warehouses, monkeypatch):
    orders = make_orders(90)
    batch = outbound_batch_create(oids=[o.oid for o in orders], handover="auto")
    outbound_batch_execute(batch_id=batch.pk)
    monkeypatch.setattr(ex, "CHUNK", 40)
    seen = []

    def crash_at(point, every):
        def hook(step, **info):
            seen.append(step)
            if step == point and seen.count(point) == every:
                raise Killed(point)
        return hook

    # 1. after the first chunk committed; 2. the carrier answered but nothing stored yet;
    # 3. numbers stored, labels not yet; each run resumes the previous one.
    for point, every in (("chunk", 1), ("carrier_answered", 2), ("tracked", 3)):
        monkeypatch.setattr(ex, "after_commit_hook", crash_at(point, every))
        seen.clear()
        with pytest.raises(Killed):
            outbound_batch_run(batch_id=batch.pk)
        assert BatchOrder.objects.filter(batch=batch).exclude(step="shipped").exists()
    monkeypatch.setattr(ex, "after_commit_hook", None)
    outbound_batch_execute(batch_id=batch.pk)  # "execute" again on an executing batch: resume
    batch = outbound_batch_run(batch_id=batch.pk)
    assert batch.status == "done"
    assert_no_duplicates(batch, 90)


WORKER = """
import os, sys, time
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
import django
django.setup()
from warehouses.services.outbound import execute as ex
def slow(step, **info):
    if step in ("tracked", "labelled"):
        time.sleep(0.15)
ex.after_commit_hook = slow
from warehouses.services.outbound import outbound_batch_run
outbound_batch_run(batch_id={batch_id})
"""


def _db_url():
    s = connection.settings_dict
    host = s["HOST"] or "localhost"
    if host.startswith("/"):
        return f"postgresql://{s['USER']}:{s['PASSWORD']}@:{s['PORT']}/{s['NAME']}?host={host}"
    return f"postgresql://{s['USER']}:{s['PASSWORD']}@{host}:{s['PORT']}/{s['NAME']}"


def test_sigkill_worker_mid_execution_then_restart(three_warehouses):
    orders = make_orders(120)
    batch = outbound_batch_create(oids=[o.oid for o in orders], handover="auto")
    outbound_batch_execute(batch_id=batch.pk)
    env = {**os.environ, "DATABASE_URL": _db_url()}
    code = WORKER.format(root=str(ROOT), batch_id=batch.pk)
    worker = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if Parcel.objects.filter(item__batch=batch, tracking_no__isnull=False).count() >= 20:
                break
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    assert BatchOrder.objects.filter(batch=batch).exclude(step="shipped").exists()
    batch = outbound_batch_run(batch_id=batch.pk)  # the restarted worker
    assert batch.status == "done"
    assert_no_duplicates(batch, 120)
