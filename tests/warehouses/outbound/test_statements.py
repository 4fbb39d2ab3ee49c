"""Batch steps are set-based: their statements follow the waves, never the orders."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from warehouses.models import Wave
from warehouses.services.outbound import (
    outbound_batch_create,
    outbound_batch_execute,
    outbound_batch_run,
    outbound_handover,
)

from .conftest import make_orders

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# One order row fetched by primary key: a per-order read (a deferred field loaded late, a
# refresh) — what a set-based step must never do.
ONE_ORDER = re.compile(r'FROM "orders_order"[^;]* WHERE "orders_order"\."id" = \d+')


def _run(n: int, start: int):
    orders = make_orders(n, start=start)
    batch = outbound_batch_create(oids=[o.oid for o in orders], handover="scan")
    outbound_batch_execute(batch_id=batch.pk)
    with CaptureQueriesContext(connection) as run:
        outbound_batch_run(batch_id=batch.pk)
    waves = Wave.objects.filter(batch=batch).count()
    with CaptureQueriesContext(connection) as handover:
        assert outbound_handover(batch_id=batch.pk) == n
    return waves, [q["sql"] for q in run.captured_queries], \
        [q["sql"] for q in handover.captured_queries]


def test_statements_follow_waves_not_orders(three_warehouses, monkeypatch):
    # One thread, so every statement is on the connection captured here.
    monkeypatch.setattr("warehouses.services.outbound.execute.PIPELINE", False)
    small = _run(30, 0)
    large = _run(150, 1000)
    for _waves, run, handover in (small, large):
        assert not [q for q in run + handover if ONE_ORDER.search(q)]
    # Five times the orders (120 more): the extra statements are the 3-odd extra waves' own,
    # a bounded few each — a per-order statement would add 120.
    extra_waves = large[0] - small[0]
    assert len(large[1]) - len(small[1]) <= 25 * extra_waves
    assert len(large[2]) - len(small[2]) <= 25 * extra_waves
