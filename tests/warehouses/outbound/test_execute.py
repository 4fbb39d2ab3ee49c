"""Acceptance: 500 approved orders over three warehouses, executed end to end."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from core.errors import TransitionNotAllowed
from orders.models import Order, OrderLine
from warehouses.models import (
    BatchOrder,
    Parcel,
    PickListLine,
    StockLevel,
    Wave,
    WaveTemplate,
)
from warehouses.services.outbound import (
    outbound_batch_create,
    outbound_batch_execute,
    outbound_batch_run,
)

from .conftest import make_orders, pdf_pages

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
FORMATS = {"SF": r"SF\d{13}", "ZTO": r"7\d{11}", "YTO": r"YT\d{13}", "JD": r"JDVA\d{11}"}


def test_500_orders_end_to_end(three_warehouses, django_capture_on_commit_callbacks):
    orders = make_orders(500)
    assert {o.status for o in orders} == {"approved"}
    units_before = {(s.warehouse_id, s.sku_id): s.on_hand for s in StockLevel.objects.all()}

    batch = outbound_batch_create(oids=[o.oid for o in orders], handover="auto")
    assert batch.status == "draft" and batch.total == 500
    plans = list(BatchOrder.objects.filter(batch=batch))
    assert all(p.plan["warehouse"] and not p.plan["blockers"] for p in plans)
    assert {p.plan["approval"]["level"] for p in plans} == {"auto"}
    assert Counter(p.plan["warehouse"] for p in plans) == {"SH": 167, "CD": 167, "GZ": 166}

    outbound_batch_execute(batch_id=batch.pk)
    batch = outbound_batch_run(batch_id=batch.pk)
    assert batch.status == "done", batch.error
    assert batch.progress_done == 500 and batch.progress_failed == 0

    shipped = list(Order.objects.filter(pk__in=[o.pk for o in orders]))
    assert {o.status for o in shipped} == {"shipped"}
    numbers = [o.tracking_no for o in shipped]
    assert len(set(numbers)) == 500 and all(numbers)
    for o in shipped:
        assert re.fullmatch(FORMATS[o.carrier], o.tracking_no), (o.carrier, o.tracking_no)
    assert {o.carrier for o in shipped} == {"SF", "ZTO", "YTO", "JD"}
    parcels = list(Parcel.objects.all())
    assert len(parcels) == 500 and all(p.status == "handed_over" for p in parcels)

    # Waves respect their templates and caps.
    templates = {t.kind: t for t in WaveTemplate.objects.all()}
    waves = list(Wave.objects.select_related("warehouse"))
    by_wave = defaultdict(list)
    for p in parcels:
        by_wave[p.wave_id].append(p)
    assert {w.kind for w in waves} == {"single_item", "multi_item", "hot_sku"}
    for w in waves:
        members, t = by_wave[w.pk], templates[w.kind]
        assert len(members) == w.orders_count <= t.max_orders
        assert sum(len(p.lines) for p in members) == w.lines_count <= t.max_lines
        assert w.weight_g <= t.max_weight_g or len(members) == 1
        assert {p.carrier for p in members} == {w.carrier}
        if w.kind == "single_item":
            assert all(len(p.lines) == 1 and p.lines[0]["quantity"] == 1 for p in members)
        if w.kind == "hot_sku":
            assert {ln["sku"] for p in members for ln in p.lines} == {w.hot_sku.code}
        # Pick list: aggregated by SKU, bin order, quantities = sum of the lines.
        picks = list(PickListLine.objects.filter(wave=w).select_related("sku").order_by("position"))
        want = Counter()
        for p in members:
            for ln in p.lines:
                want[ln["sku"]] += ln["quantity"]
        assert {pl.sku.code: pl.quantity for pl in picks} == dict(want)
        assert [pl.bin_location for pl in picks] == sorted(pl.bin_location for pl in picks)
        # Labels: a valid PDF, one page per parcel.
        assert w.labels_pages == len(members)
        assert pdf_pages(bytes(w.labels_pdf)) == len(members)
    total_units = sum(OrderLine.objects.filter(order__in=shipped).values_list("quantity", flat=True))
    assert sum(PickListLine.objects.values_list("quantity", flat=True)) == total_units

    # Stock consumed exactly; nothing left reserved.
    for s in StockLevel.objects.all():
        assert s.reserved == 0
    consumed = sum(units_before[(s.warehouse_id, s.sku_id)] - s.on_hand
                   for s in StockLevel.objects.all())
    assert consumed == total_units
    from channels_adapters.subscribers.models import OutboxEvent

    assert OutboxEvent.objects.filter(type="order.shipped").count() == 500
    # Executing again changes nothing.
    with pytest.raises(TransitionNotAllowed):  # a done batch cannot start again
        outbound_batch_execute(batch_id=batch.pk)
    assert Wave.objects.count() == len(waves)
