"""Rollback restores stock and states exactly; handed-over orders are reported, untouched.
Per-order failures end the batch partially done, visible and retryable."""

from __future__ import annotations

import pytest

from orders.models import Order, OrderEvent
from warehouses.models import (
    BatchOrder,
    Parcel,
    Reservation,
    SandboxWaybill,
    StockLevel,
    Wave,
)
from warehouses.services.outbound import (
    outbound_batch_create,
    outbound_batch_execute,
    outbound_batch_rollback,
    outbound_batch_rollback_run,
    outbound_batch_run,
    outbound_handover,
)

from .conftest import make_orders

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def snapshot(order_ids):
    return {
        "stock": {(s.warehouse_id, s.sku_id): (s.on_hand, s.reserved)
                  for s in StockLevel.objects.all()},
        "reservations": sorted(Reservation.objects.values_list("order_id", "line_id", "warehouse_id",
                                                               "quantity")),
        "orders": {o.pk: (o.status, o.warehouse_id, o.routing, o.carrier, o.tracking_no)
                   for o in Order.objects.filter(pk__in=order_ids)},
    }


def test_rollback_restores_exactly_and_reports_handed_over(three_warehouses):
    orders = make_orders(90)
    ids = [o.pk for o in orders]
    before = snapshot(ids)
    batch = outbound_batch_create(oids=[o.oid for o in orders])
    outbound_batch_execute(batch_id=batch.pk)
    batch = outbound_batch_run(batch_id=batch.pk)
    assert batch.status == "done"
    assert set(Order.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"picking"}
    assert Reservation.objects.count() > 0

    first = Wave.objects.filter(batch=batch).order_by("seq").first()
    handed = outbound_handover(batch_id=batch.pk, wave_ids=[first.code])
    assert handed == first.orders_count > 0
    handed_ids = set(BatchOrder.objects.filter(batch=batch, step="shipped")
                     .values_list("order_id", flat=True))
    handed_units = {}
    for p in Parcel.objects.filter(item__order_id__in=handed_ids):
        for ln in p.lines:
            key = (first.warehouse_id, ln["sku_id"])
            handed_units[key] = handed_units.get(key, 0) + ln["quantity"]
    shipped_numbers = set(Parcel.objects.filter(item__order_id__in=handed_ids)
                          .values_list("tracking_no", flat=True))

    outbound_batch_rollback(batch_id=batch.pk)
    batch = outbound_batch_rollback_run(batch_id=batch.pk)
    assert batch.status == "rolled_back" and batch.rolled_back_at
    after = snapshot(ids)

    # Orders not handed over: exactly as before.  Handed-over ones: untouched (shipped).
    for pk, state in after["orders"].items():
        if pk in handed_ids:
            assert state[0] == "shipped"
        else:
            assert state == before["orders"][pk]
    # Stock: as before, minus exactly what left with the handed-over parcels.
    for key, (on_hand, reserved) in before["stock"].items():
        assert after["stock"][key] == (on_hand - handed_units.get(key, 0), reserved)
    assert after["reservations"] == before["reservations"] == []

    report = batch.rollback_report
    assert report["rolled_back"] == 90 - len(handed_ids)
    assert {r["reason"] for r in report["not_rolled_back"]} == {"handed_over"}
    assert len(report["not_rolled_back"]) == len(handed_ids)
    # Carrier: numbers of rolled-back parcels cancelled, handed-over ones still live.
    cancelled = set(SandboxWaybill.objects.filter(status="cancelled").values_list("tracking_no",
                                                                                  flat=True))
    assert cancelled.isdisjoint(shipped_numbers)
    assert len(cancelled) == 90 - len(handed_ids)
    assert set(Wave.objects.filter(batch=batch).values_list("status", flat=True)) == \
        {"open", "dissolved"}
    assert Wave.objects.get(pk=first.pk).status == "open"
    # Each rolled-back order's timeline says so.
    rolled = set(OrderEvent.objects.filter(type="order.outbound_rolled_back")
                 .values_list("order_id", flat=True))
    assert rolled == set(ids) - handed_ids
    # Rolling back again is a no-op.
    outbound_batch_rollback(batch_id=batch.pk)
    assert snapshot(ids) == after


def test_failures_end_partially_done_and_retry(three_warehouses):
    from tests.factories.warehouses import make_order, receiver

    good = make_orders(20)
    refused = make_orders(3, start=100, address="人民路 8 号 拒收")
    nostock = make_order([("NOSTOCK-1", 1, "5.00")], receiver=receiver())
    all_orders = good + refused + [nostock]
    batch = outbound_batch_create(oids=[o.oid for o in all_orders], handover="auto")
    blocked = BatchOrder.objects.get(batch=batch, order=nostock)
    assert blocked.step == "blocked"
    assert blocked.plan["blockers"][0]["code"] == "insufficient_stock"

    outbound_batch_execute(batch_id=batch.pk)
    batch = outbound_batch_run(batch_id=batch.pk)
    assert batch.status == "partially_done"
    assert batch.progress_done == 20 and batch.progress_failed == 4
    failed = {it.order_id: it for it in BatchOrder.objects.filter(batch=batch, step="failed")}
    assert {failed[o.pk].error_code for o in refused} == {"carrier_out_of_service_area"}
    assert failed[nostock.pk].error_code == "insufficient_stock"
    for o in refused + [nostock]:
        o.refresh_from_db()
        assert o.status == "approved" and o.warehouse_id is None
    assert not Reservation.objects.filter(order__in=refused + [nostock]).exists()
    assert not Parcel.objects.filter(item__order__in=refused).exclude(status="void").exists()

    # Fix the causes, retry: only the failed orders run again.
    Order.objects.filter(pk__in=[o.pk for o in refused]).update(receiver_address="人民路 8 号")
    from tests.factories.warehouses import set_stock

    set_stock(three_warehouses[0], "NOSTOCK-1", 5)
    outbound_batch_execute(batch_id=batch.pk)
    batch = outbound_batch_run(batch_id=batch.pk)
    assert batch.status == "done" and batch.progress_done == 24
    assert set(Order.objects.filter(pk__in=[o.pk for o in all_orders])
               .values_list("status", flat=True)) == {"shipped"}
    assert Parcel.objects.exclude(status="void").count() == 24
