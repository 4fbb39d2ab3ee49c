"""Steps 2 and 3 of an outbound batch run (see ``execute``): tracking numbers from the
carrier, and the label PDF of each wave.  ``executing(batch_id)`` locks the batch and stops
the run if it left ``executing``; ``hook(step, **info)`` is the crash-test hook."""

from __future__ import annotations

import time
from typing import NamedTuple

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from orders.choices import OrderStatus
from warehouses.carriers import CarrierError, CarrierRateLimited, WaybillRequest, carrier_client
from warehouses.models import BatchOrder, OutboundBatch, Parcel, ParcelStatus, Step, Wave

from . import documents
from .bulk import Move, items_save_many, orders_lock_many, orders_transition_many, rows_update
from .wave_records import wave_label_data, wave_recount

CARRIER_CALL = 200
CARRIER_TRIES = 6
SOURCE = "outbound"


def fail_items(items: list[BatchOrder], code: str, message: str, details=None) -> None:
    for item in items:
        item.step, item.error_code, item.error = Step.FAILED, code, message
        if details:
            item.plan = {**item.plan, "failure": details}


def _carrier_call(code: str, requests: list[WaybillRequest]):
    client = carrier_client(code)
    for attempt in range(CARRIER_TRIES):
        try:
            return client.create_waybills(requests)
        except CarrierRateLimited as exc:
            time.sleep(min(exc.retry_after, 2.0))
        except CarrierError:
            if attempt == CARRIER_TRIES - 1:
                raise
            time.sleep(min(0.05 * 2 ** attempt, 1.0))
    raise CarrierError(f"{code}: still rate limited after {CARRIER_TRIES} tries")


class _Pending(NamedTuple):
    pk: int
    item_id: int
    carrier: str
    weight_g: int
    warehouse: str
    province: str
    city: str
    address: str


def track_wave(batch_id: int, wave_id: int, *, executing, hook) -> None:
    """Tracking numbers for one wave: the carrier asked outside any transaction (parcel
    id = idempotency key), the numbers stored in one; refused parcels take their order
    out of the waves."""
    # Plain rows, not model instances: a wave's parcels with what the carrier needs.
    pending = [_Pending(*row) for row in Parcel.objects.filter(
        wave_id=wave_id, tracking_no__isnull=True, status=ParcelStatus.PENDING,
        item__step=Step.WAVED).order_by("pk").values_list(
        "pk", "item_id", "carrier", "weight_g", "wave__warehouse__code",
        "item__order__receiver_province", "item__order__receiver_city",
        "item__order__receiver_address")]
    if not pending:
        return
    results = {}
    for start in range(0, len(pending), CARRIER_CALL):
        chunk = pending[start:start + CARRIER_CALL]
        requests = [WaybillRequest(
            key=str(p.pk), sender_warehouse=p.warehouse, receiver_province=p.province,
            receiver_city=p.city, receiver_address=p.address, weight_g=p.weight_g)
            for p in chunk]
        for r in _carrier_call(chunk[0].carrier, requests):
            results[int(r.key)] = r
    hook("carrier_answered", wave_id=wave_id)
    with transaction.atomic():
        batch = executing(batch_id)
        numbered = [p for p in pending if results[p.pk].tracking_no]
        if numbered:
            rows_update(table="warehouses_parcel",
                        rows=[{"id": p.pk, "tn": results[p.pk].tracking_no} for p in numbered],
                        columns={"id": "bigint", "tn": "text"}, set_sql="tracking_no = v.tn",
                        where="AND t.tracking_no IS NULL")
        refused = {p.item_id: results[p.pk] for p in pending if not results[p.pk].tracking_no}
        if refused:
            _drop_from_waves(batch, refused)
        # The orders of the parcels just numbered (by primary key: a join through the wave
        # lets the planner walk the whole batch) whose every live parcel has its number.
        complete = (BatchOrder.objects.filter(pk__in={p.item_id for p in pending}, batch=batch,
                                              step=Step.WAVED)
                    .exclude(Exists(Parcel.objects.filter(item=OuterRef("pk"), tracking_no__isnull=True)
                                    .exclude(status=ParcelStatus.VOID))))
        done = complete.update(step=Step.TRACKED, updated_at=timezone.now())
        # Progress moves by what this step changed (recounting the whole batch per wave
        # costs O(waves × orders)); the chunks and the finish recount it exactly.
        OutboundBatch.objects.filter(pk=batch.pk).update(
            progress_done=F("progress_done") + done,
            progress_failed=F("progress_failed") + len(refused))
    hook("tracked", wave_id=wave_id)


def _drop_from_waves(batch, refused: dict) -> None:
    """Carrier refused a parcel: the whole order leaves its waves, back to ``approved``."""
    items = list(BatchOrder.objects.filter(pk__in=list(refused)).select_related("order"))
    orders = {o.pk: o for o in orders_lock_many(ids=[it.order_id for it in items])}
    voided = list(Parcel.objects.filter(item__in=items).exclude(status=ParcelStatus.VOID)
                  .values_list("wave_id", flat=True))
    Parcel.objects.filter(item__in=items).update(status=ParcelStatus.VOID)
    moves = [Move(order=orders[it.order_id], note=f"outbound batch #{batch.pk}: carrier refused",
                  payload={"batch": batch.pk, "reason": refused[it.pk].error_code})
             for it in items if orders[it.order_id].status == OrderStatus.PICKING]
    orders_transition_many(moves=moves, name="return_to_approved", source=SOURCE)
    for it in items:
        r = refused[it.pk]
        fail_items([it], f"carrier_{r.error_code or 'refused'}", r.error or "carrier refused")
    items_save_many(items, ("step", "error_code", "error", "plan"))
    for wave_id in set(voided):
        wave_recount(wave_id)


def label_wave(batch_id: int, wave_id: int, *, executing, hook) -> None:
    """One PDF of labels for the wave, stored when its set of numbers changed."""
    labels = wave_label_data(wave_id)
    digest = documents.labels_digest(lb.tracking_no for lb in labels)
    if Wave.objects.filter(pk=wave_id, labels_digest=digest).exists() or not labels:
        return
    pdf = documents.labels_pdf(labels)
    with transaction.atomic():
        executing(batch_id)
        Wave.objects.filter(pk=wave_id).update(labels_pdf=pdf, labels_pages=len(labels),
                                               labels_digest=digest)
        Parcel.objects.filter(wave_id=wave_id, status=ParcelStatus.PENDING,
                              tracking_no__in=[lb.tracking_no for lb in labels]).update(
            status=ParcelStatus.LABELLED)
    hook("labelled", wave_id=wave_id)
