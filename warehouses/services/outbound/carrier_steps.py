"""Steps 2 and 3 of an outbound batch run (see ``execute``): tracking numbers from the
carrier, and the label PDF of each wave.  ``executing(batch_id)`` locks the batch and stops
the run if it left ``executing``; ``hook(step, **info)`` is the crash-test hook."""

from __future__ import annotations

import time
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from orders.choices import OrderStatus
from warehouses.carriers import CarrierError, CarrierRateLimited, WaybillRequest, carrier_client
from warehouses.models import BatchOrder, OutboundBatch, Parcel, ParcelStatus, Step, Wave

from . import documents
from .bulk import (
    Move,
    any_of,
    items_save_many,
    orders_lock_many,
    orders_transition_many,
    rows_update,
)
from .wave_records import wave_recount, waves_label_data

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


def track_waves(batch_id: int, wave_ids: list[int], *, executing, hook) -> None:
    """Tracking numbers for a group of waves: the carrier asked outside any transaction
    (parcel id = idempotency key; one call per carrier and :data:`CARRIER_CALL` parcels,
    not per wave), the numbers stored in one transaction; refused parcels take their order
    out of the waves.  ``hook`` is called per wave, as if the waves had gone one by one."""
    # Plain rows, not model instances: the waves' parcels with what the carrier needs.
    pending = [_Pending(*row) for row in Parcel.objects.filter(
        wave_id__in=wave_ids, tracking_no__isnull=True, status=ParcelStatus.PENDING,
        item__step=Step.WAVED).order_by("pk").values_list(
        "pk", "item_id", "carrier", "weight_g", "wave__warehouse__code",
        "item__order__receiver_province", "item__order__receiver_city",
        "item__order__receiver_address")]
    if not pending:
        return
    by_carrier: dict[str, list[_Pending]] = {}
    for p in pending:
        by_carrier.setdefault(p.carrier, []).append(p)
    results = {}
    for carrier, parcels in by_carrier.items():
        for start in range(0, len(parcels), CARRIER_CALL):
            chunk = parcels[start:start + CARRIER_CALL]
            requests = [WaybillRequest(
                key=str(p.pk), sender_warehouse=p.warehouse, receiver_province=p.province,
                receiver_city=p.city, receiver_address=p.address, weight_g=p.weight_g)
                for p in chunk]
            for r in _carrier_call(carrier, requests):
                results[int(r.key)] = r
    for wave_id in wave_ids:
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
        complete = (BatchOrder.objects.filter(pk__in=any_of({p.item_id for p in pending}), batch=batch,
                                              step=Step.WAVED)
                    .exclude(Exists(Parcel.objects.filter(item=OuterRef("pk"), tracking_no__isnull=True)
                                    .exclude(status=ParcelStatus.VOID))))
        done = complete.update(step=Step.TRACKED, updated_at=timezone.now())
        # Progress moves by what this step changed (recounting the whole batch per wave
        # costs O(waves × orders)); the chunks and the finish recount it exactly.
        OutboundBatch.objects.filter(pk=batch.pk).update(
            progress_done=F("progress_done") + done,
            progress_failed=F("progress_failed") + len(refused))
    for wave_id in wave_ids:
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


def label_waves(batch_id: int, wave_ids: list[int], *, executing, hook) -> None:
    """One PDF of labels per wave, stored when its set of numbers changed — rendered
    outside transactions, the group's PDFs stored in one."""
    labels = waves_label_data(wave_ids)
    stored = dict(Wave.objects.filter(pk__in=wave_ids).values_list("pk", "labels_digest"))
    todo = []  # (wave id, pdf, pages, digest, numbers)
    for wave_id in wave_ids:
        mine = labels.get(wave_id)
        if not mine:
            continue
        numbers = [lb.tracking_no for lb in mine]
        digest = documents.labels_digest(numbers)
        if stored.get(wave_id) != digest:
            todo.append((wave_id, documents.labels_pdf(mine), len(mine), digest, numbers))
    if not todo:
        return
    with transaction.atomic():
        executing(batch_id)
        with connection.cursor() as cursor:  # one pipelined round trip; PDFs as binary
            cursor.executemany(
                "UPDATE warehouses_wave SET labels_pdf = %s, labels_pages = %s, "
                "labels_digest = %s WHERE id = %s", [(t[1], t[2], t[3], t[0]) for t in todo])
        Parcel.objects.filter(wave_id__in=[t[0] for t in todo], status=ParcelStatus.PENDING,
                              tracking_no__in=any_of((n for t in todo for n in t[4]), "text")).update(
            status=ParcelStatus.LABELLED)
    for t in todo:
        hook("labelled", wave_id=t[0])
