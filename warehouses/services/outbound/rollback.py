"""Roll an outbound batch back: compensation steps in reverse, wave by wave.

**Point of no return — handover.**  An order is *handed over* once the carrier's pickup
scan is recorded (:func:`~.execute.outbound_handover`, admin/API, or automatically for
``handover="auto"`` batches): it is then ``shipped``, its stock consumed and the platform
told.  Such orders are *not* rolled back; they are listed in ``rollback_report`` with the
reason.  Every other order of the batch gets, in reverse order of execution:

1. tracking numbers cancelled with the carrier (outside any transaction; a number the
   carrier refuses to cancel — already picked up — keeps its order out of the rollback);
2. labels voided (parcels ``void``), waves dissolved (once nothing live is left in them);
3. ``picking → approved`` (``return_to_approved``): reservations released, warehouse
   cleared, the routing explanation restored to what it was before the batch;
4. an ``order.outbound_rolled_back`` timeline event per order.

The batch moves to ``rolled_back`` first (a running execution stops at its next step);
the compensation then runs in the background and can be run again until it finishes.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from core.bulk import to_json
from core.errors import TransitionNotAllowed
from core.tasks_util import enqueue_on_commit
from orders.choices import OrderStatus
from warehouses.carriers import carrier_client
from warehouses.models import BatchOrder, BatchStatus, Parcel, ParcelStatus, Step, Wave, WaveStatus

from .bulk import Move, order_events_record_many, orders_lock_many, orders_transition_many
from .locks import batch_lock, batch_run_lock
from .wave_records import wave_recount

SOURCE = "outbound_rollback"
LIVE_STEPS = (Step.ALLOCATED, Step.WAVED, Step.TRACKED)


def outbound_batch_rollback(*, batch_id: int, actor=None, source: str = "api"):
    """Mark the batch rolled back and enqueue the compensation (idempotent)."""
    from warehouses.tasks import outbound_batch_rollback_task

    with transaction.atomic():
        batch = batch_lock(batch_id)
        if batch.status == BatchStatus.ROLLED_BACK and batch.rolled_back_at:
            return batch
        if batch.status != BatchStatus.ROLLED_BACK:
            if not can_proceed(batch.roll_back):
                raise TransitionNotAllowed(
                    _("cannot %(name)s a batch in status %(status)s")
                    % {"name": "roll back", "status": batch.status},
                    code="batch_transition_not_allowed",
                    details={"status": batch.status, "transition": "roll_back"})
            batch.roll_back()
            batch.rollback_report = {"requested_by": getattr(actor, "username", None),
                                     "requested_at": timezone.now().isoformat()}
            batch.save()
        enqueue_on_commit(outbound_batch_rollback_task, batch.pk)
    return batch


def outbound_batch_rollback_run(*, batch_id: int, actor=None):
    """The compensation itself (the actor; tests call it directly) — once the execution
    has stopped (see ``locks``)."""
    with batch_run_lock(batch_id):
        return _rollback_run(batch_id, actor)


def _rollback_run(batch_id: int, actor):
    waves = list(Wave.objects.filter(batch_id=batch_id).exclude(status=WaveStatus.DISSOLVED)
                 .order_by("-seq").values_list("pk", flat=True))
    kept: dict[int, str] = {}
    for wave_id in waves:
        refused = _cancel_numbers(wave_id)
        _compensate(batch_id, wave_id=wave_id, refused=refused, kept=kept, actor=actor)
    _compensate(batch_id, wave_id=None, refused={}, kept=kept, actor=actor)  # not waved
    with transaction.atomic():
        batch = batch_lock(batch_id)
        report = dict(batch.rollback_report or {})
        not_rolled = list(BatchOrder.objects.filter(batch=batch, step=Step.KEPT)
                          .select_related("order").order_by("id"))
        report.update(
            rolled_back=BatchOrder.objects.filter(batch=batch, step=Step.ROLLED_BACK).count(),
            not_rolled_back=[{"oid": str(it.order.oid), "status": it.order.status,
                              "reason": it.error_code, "message": it.error} for it in not_rolled],
            finished_at=timezone.now().isoformat())
        batch.rollback_report = report
        batch.rolled_back_at = timezone.now()
        batch.save()
    return batch


def _cancel_numbers(wave_id: int) -> dict[str, str]:
    """Cancel the live numbers of the wave's not-handed-over orders; number → refusal."""
    parcels = (Parcel.objects.filter(wave_id=wave_id, tracking_no__isnull=False,
                                     status__in=[ParcelStatus.PENDING, ParcelStatus.LABELLED],
                                     item__step__in=LIVE_STEPS)
               .values_list("carrier", "tracking_no"))
    by_carrier = defaultdict(list)
    for carrier, number in parcels:
        by_carrier[carrier].append(number)
    refused = {}
    for carrier, numbers in by_carrier.items():
        for start in range(0, len(numbers), 500):
            result = carrier_client(carrier).cancel(numbers[start:start + 500])
            refused.update(result.refused)
    return refused


def _compensate(batch_id: int, *, wave_id, refused: dict, kept: dict, actor) -> None:
    with transaction.atomic():
        batch = batch_lock(batch_id)
        items = BatchOrder.objects.filter(batch=batch).exclude(
            step__in=[Step.ROLLED_BACK, Step.KEPT, Step.FAILED, Step.PLANNED, Step.BLOCKED])
        if wave_id is not None:
            items = items.filter(parcels__wave_id=wave_id).distinct()
        items = list(items)
        if not items:
            if wave_id is not None:
                wave_recount(wave_id)
            return
        orders = {o.pk: o for o in orders_lock_many(ids=[it.order_id for it in items])}
        parcels = defaultdict(list)
        for p in Parcel.objects.filter(item__in=items).order_by("package"):
            parcels[p.item_id].append(p)
        back, unallocate, done_items, events = [], [], [], []
        for it in items:
            o = orders[it.order_id]
            refusal = next((refused[p.tracking_no] for p in parcels[it.pk]
                            if p.tracking_no in refused), None)
            if o.status == OrderStatus.SHIPPED or it.step == Step.SHIPPED:
                it.step, it.error_code = Step.KEPT, "handed_over"
                it.error = "handed over to the carrier (shipped); not rolled back"
            elif refusal:
                it.step, it.error_code = Step.KEPT, f"carrier_{refusal}"
                it.error = f"the carrier refused to cancel the tracking number: {refusal}"
            elif o.status in (OrderStatus.PICKING, OrderStatus.ALLOCATED):
                move = Move(order=o, note=f"outbound batch #{batch.pk} rolled back",
                            payload={"batch": batch.pk})
                (back if o.status == OrderStatus.PICKING else unallocate).append(move)
                done_items.append(it)
                events.append((o, "order.outbound_rolled_back", {
                    "batch": batch.pk,
                    "waves": sorted({p.wave_id for p in parcels[it.pk]}),
                    "cancelled_tracking_numbers": [p.tracking_no for p in parcels[it.pk]
                                                   if p.tracking_no],
                }))
                it.step, it.error_code, it.error = Step.ROLLED_BACK, "", ""
            else:
                it.step, it.error_code = Step.KEPT, "status_changed"
                it.error = f"order is {o.status} now; left as it is"
            if it.step == Step.KEPT:
                kept[it.order_id] = it.error_code
        orders_transition_many(moves=back, name="return_to_approved", actor=actor, source=SOURCE)
        orders_transition_many(moves=unallocate, name="unallocate", actor=actor, source=SOURCE)
        _restore_routing([m.order for m in back + unallocate], {it.order_id: it for it in done_items})
        Parcel.objects.filter(item__in=done_items).update(status=ParcelStatus.VOID)
        order_events_record_many(rows=events, actor=actor, source=SOURCE)
        for it in items:
            it.updated_at = timezone.now()
        BatchOrder.objects.bulk_update(items, ["step", "error_code", "error", "updated_at"])
        if wave_id is not None:
            wave_recount(wave_id)


def _restore_routing(orders, items) -> None:
    """Put back the routing explanation each order had before the batch."""
    if not orders:
        return
    ids = [o.pk for o in orders]
    routings = [to_json((items[o.pk].entry or {}).get("routing") or {}) for o in orders]
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE orders_order o SET routing = v.routing::jsonb
               FROM unnest(%s::bigint[], %s::text[]) AS v(id, routing) WHERE o.id = v.id""",
            [ids, routings])
