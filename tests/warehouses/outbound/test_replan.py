"""Execution reuses the plan's routing while it still holds, and routes again when not."""

from __future__ import annotations

import pytest

from orders.models import Order
from tests.factories.warehouses import set_stock
from warehouses.models import BatchOrder, Reservation, RoutingRule
from warehouses.services.outbound import execute as execute_module
from warehouses.services.outbound import (
    outbound_batch_create,
    outbound_batch_execute,
    outbound_batch_run,
)

from .conftest import make_orders

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def routed(monkeypatch):
    """Order ids that execution routed again (``order_route`` called for them)."""
    calls = []
    real = execute_module.order_route

    def spy(*, order, **kwargs):
        calls.append(order.pk)
        return real(order=order, **kwargs)

    monkeypatch.setattr(execute_module, "order_route", spy)
    return calls


def _run(orders, *, before_execute=None):
    batch = outbound_batch_create(oids=[o.oid for o in orders])
    plans = {it.order_id: it.plan for it in BatchOrder.objects.filter(batch=batch)}
    if before_execute:
        before_execute()
    outbound_batch_execute(batch_id=batch.pk)
    batch = outbound_batch_run(batch_id=batch.pk)
    assert batch.status == "done", batch.error
    return plans, {o.pk: o for o in Order.objects.filter(pk__in=[o.pk for o in orders])
                   .select_related("warehouse")}


def test_plan_that_still_holds_is_executed_as_planned(three_warehouses, routed):
    orders = make_orders(30)
    plans, after = _run(orders)
    assert routed == []
    for o in orders:
        plan, done = plans[o.pk], after[o.pk]
        assert done.status == "picking"
        assert done.warehouse.code == plan["warehouse"]
        assert done.routing == plan["routing"]  # the plan's explanation, kept whole
    held = {(r.order_id, r.line_id): r.warehouse.code
            for r in Reservation.objects.select_related("warehouse")}
    for o in orders:
        for pkg in plans[o.pk]["packages"]:
            for line in o.lines.filter(line_no__in=pkg["lines"]):
                assert held[(o.pk, line.pk)] == pkg["warehouse"]


def test_stock_gone_since_the_plan_routes_again(three_warehouses, routed):
    orders = make_orders(9)
    sh = three_warehouses[0]
    single = [o for o in orders if o.lines.count() == 1 and o.lines.get().sku.code == "A-1"]
    assert single

    def drain():
        set_stock(sh, "A-1", 0)

    plans, after = _run(orders, before_execute=drain)
    moved = [o for o in single if plans[o.pk]["warehouse"] == "SH"]
    assert moved, "the fixture routes some A-1 orders to SH"
    assert set(routed) >= {o.pk for o in moved}
    for o in moved:
        done = after[o.pk]
        assert done.warehouse.code != "SH"
        assert done.routing["warehouse"] == done.warehouse.code != plans[o.pk]["warehouse"]
        assert done.routing["routed_at"] != plans[o.pk]["routing"]["routed_at"]
    assert not Reservation.objects.filter(warehouse=sh, sku__code="A-1").exists()


def test_rules_changed_since_the_plan_route_again(three_warehouses, routed):
    orders = make_orders(6)

    def edit_rules():
        rule = RoutingRule.objects.filter(active=True).order_by("priority").first()
        rule.priority += 1
        rule.save()

    _run(orders, before_execute=edit_rules)
    assert sorted(routed) == sorted(o.pk for o in orders)


def test_planning_reads_no_order_one_by_one(three_warehouses):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .test_statements import ONE_ORDER

    counts = []
    for n, start in ((5, 0), (25, 500)):
        orders = make_orders(n, start=start)
        with CaptureQueriesContext(connection) as plan:
            outbound_batch_create(oids=[o.oid for o in orders])
        assert not [q["sql"] for q in plan.captured_queries if ONE_ORDER.search(q["sql"])]
        counts.append(len(plan.captured_queries))
    assert counts[0] == counts[1]


def test_handover_reuses_the_run_orders_unless_written_since(three_warehouses, monkeypatch):
    """The auto handover reuses the orders the run moved to picking; one written by another
    transaction meanwhile is loaded again, so its shipped event shows the change."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from channels_adapters.subscribers.models import OutboxEvent
    from warehouses.services.outbound import bulk as bulk_module
    from warehouses.services.outbound import handover as handover_module

    from .test_statements import ONE_ORDER

    orders = make_orders(12)
    changed = orders[3]
    batch = outbound_batch_create(oids=[o.oid for o in orders], handover="auto")
    outbound_batch_execute(batch_id=batch.pk)

    def write_meanwhile(step, **info):
        if step == "tracked":
            Order.objects.filter(pk=changed.pk).update(channel_status="SELLER_MEMO_EDITED")

    loaded = []
    real = bulk_module.orders_lock_many

    def spy(*, ids, **kwargs):
        loaded.extend(ids)
        return real(ids=ids, **kwargs)

    monkeypatch.setattr(execute_module, "after_commit_hook", write_meanwhile)
    monkeypatch.setattr(handover_module, "orders_lock_many", spy)
    monkeypatch.setattr(bulk_module, "orders_lock_many", spy)
    with CaptureQueriesContext(connection) as run:
        batch = outbound_batch_run(batch_id=batch.pk)
    assert batch.status == "done", batch.error
    # Reused orders carry only what allocation loaded: nothing is read one order at a time.
    assert not [q["sql"] for q in run.captured_queries if ONE_ORDER.search(q["sql"])]
    assert loaded == [changed.pk]
    shipped = {e.oid: e.data for e in OutboxEvent.objects.filter(type="order.shipped")}
    assert len(shipped) == 12
    assert shipped[changed.oid]["channel_status"] == "SELLER_MEMO_EDITED"
    for o in orders:
        o.refresh_from_db()
        data = shipped[o.oid]
        assert (data["status"], data["tracking_no"], data["carrier"], data["warehouse"]) == (
            "shipped", o.tracking_no, o.carrier, o.warehouse.code)
        assert data["channel_status"] == o.channel_status
