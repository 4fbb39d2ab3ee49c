"""Execute an outbound batch: reserve → waves + pick lists → tracking numbers → labels →
(handover) — in the background, idempotent and resumable.

One run at a time per batch (an advisory lock: a second runner waits), in two threads:
this one allocates and waves chunk after chunk while a second one takes each chunk's
waves through steps 2–4 (``pipeline``).  Every step is a short transaction that locks
the batch row first and checks it is still executing (a rollback stops the run at its
next step; ``locks``), and records on each ``BatchOrder`` the step it reached, together
with the change itself:

1. **allocate + wave** (chunks of :data:`CHUNK` orders, by warehouse): lock the orders,
   lock their stock rows, take each order's planned routing if it still holds on the
   locked rows (else route it again, in memory against the locked rows), reserve, move
   ``approved → allocated``, build waves and pick lists, move ``allocated → picking``.
2. **tracking** (per group of waves of about :data:`CHUNK` orders): the carrier is asked
   *outside* any transaction with the parcel id as idempotency key, so a crash between its answer and our commit costs
   nothing — asking again returns the same numbers; ``Parcel.tracking_no`` is unique.
   Parcels the carrier refuses: the order is taken out of the wave and back to
   ``approved`` (stock released) and marked failed with the reason — retryable.
3. **labels** (one PDF per wave, stored per group): rendered outside transactions, stored
   when the wave's set of numbers changed (digest), one page per parcel.
4. **handover** (``handover="auto"`` batches): ``picking → shipped`` (stock consumed,
   ``order.shipped`` to the outbox).  ``scan`` batches wait for :func:`outbound_handover`.

A worker killed anywhere resumes from the recorded steps: nothing is done twice.
"""

from __future__ import annotations

import json
import logging

from django.db import transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from core.errors import DomainError, TransitionNotAllowed
from core.tasks_util import enqueue_on_commit
from orders.choices import OrderStatus, RefundStatus
from warehouses.carriers import CarrierError
from warehouses.models import (
    BatchOrder,
    BatchStatus,
    HandoverMode,
    OutboundBatch,
    Reservation,
    RoutingRule,
    Step,
    Wave,
    WaveStatus,
)
from warehouses.services.routing import RoutingSnapshot, order_route
from warehouses.services.stock import stock_levels_lock

from .bulk import (
    Move,
    any_of,
    items_save_many,
    orders_lock_many,
    orders_transition_many,
    orders_versions,
)
from .bulk_stock import stock_reserve_many
from .carrier_steps import fail_items, label_waves, track_waves
from .gcpause import gc_paused
from .handover import handover_wave
from .locks import batch_lock, batch_run_lock, batch_share
from .pipeline import Downstream
from .plan import (
    UNALLOCATED_FIELDS,
    lines_attach,
    planned_decision,
    routing_digest,
)
from .wave_step import orders_wave

logger = logging.getLogger(__name__)
CHUNK = 1000
SOURCE = "outbound"
# Downstream steps of each chunk's waves in a second thread (see ``pipeline``).
PIPELINE = True
# Crash-test hook: called with a step name after each committed step (tests raise here).
after_commit_hook = None


def _hook(step: str, **info) -> None:
    if after_commit_hook is not None:
        after_commit_hook(step, **info)


def _check(batch: OutboundBatch, method) -> None:
    if not can_proceed(method):
        raise TransitionNotAllowed(
            _("cannot %(name)s a batch in status %(status)s")
            % {"name": method.__name__.replace("_", " "), "status": batch.status},
            code="batch_transition_not_allowed",
            details={"status": batch.status, "transition": method.__name__})


def outbound_batch_execute(*, batch_id: int, actor=None, source: str = "api") -> OutboundBatch:
    """Start (draft), retry failed orders (partially done / failed) or resume (executing):
    the work itself runs in ``outbound_batch_run_task`` after commit."""
    from warehouses.tasks import outbound_batch_run_task

    with transaction.atomic():
        batch = batch_lock(batch_id)
        if batch.status != BatchStatus.EXECUTING:
            _check(batch, batch.start)
            batch.start()
            BatchOrder.objects.filter(batch=batch, step__in=[Step.FAILED, Step.BLOCKED]).update(
                step=Step.PLANNED, updated_at=timezone.now())
            _progress(batch)  # the retried orders are no longer counted as failed
            batch.started_at = batch.started_at or timezone.now()
            batch.finished_at = None
            batch.error = ""
        batch.runs += 1
        batch.save()
        enqueue_on_commit(outbound_batch_run_task, batch.pk)
    return batch


def outbound_batch_run(*, batch_id: int) -> OutboundBatch:
    """The background run (also used synchronously by tests and the benchmark); one at a
    time per batch (see ``locks``)."""
    with gc_paused(), batch_run_lock(batch_id):
        return _run(batch_id)


def _run(batch_id: int) -> OutboundBatch:
    known: dict = {}  # orders this run moved to picking → (instance, row version)
    auto = OutboundBatch.objects.filter(pk=batch_id, handover=HandoverMode.AUTO).exists()

    def downstream_steps(group: list[int]) -> None:
        # One carrier call per carrier and 200 parcels, one transaction for the numbers,
        # one for the labels and one for the handover of each group of waves.
        track_waves(batch_id, group, executing=_executing, hook=_hook)
        label_waves(batch_id, group, executing=_executing, hook=_hook)
        if auto:
            handover_wave(batch_id=batch_id, wave_id=group, actor=None, source=SOURCE,
                          known=known)

    threaded = PIPELINE and not transaction.get_connection().in_atomic_block
    downstream = Downstream(downstream_steps, threaded=threaded)
    try:
        try:
            for ids in _planned_chunks(batch_id):
                _chunk_done(downstream, _allocate_and_wave_chunk(batch_id, known, ids))
            # Any planned meanwhile (a retry): the next CHUNK planned, until none.
            while (waves := _allocate_and_wave_chunk(batch_id, known)) is not None:
                _chunk_done(downstream, waves)
        except BaseException:
            downstream.close(abort=True)
            raise
        downstream.close()
        # Waves the downstream thread did not take (inline mode; a resumed run's waves),
        # in groups of about CHUNK orders, in wave order.
        for group in _groups([w for w in _waves(batch_id) if w[0] not in downstream.done]):
            downstream_steps(group)
        return _finish(batch_id)
    except _Stopped:
        return OutboundBatch.objects.get(pk=batch_id)
    except (DomainError, CarrierError) as exc:
        logger.warning("outbound batch %s failed: %s", batch_id, exc)
        with transaction.atomic():
            batch = batch_lock(batch_id)
            if batch.status == BatchStatus.EXECUTING:
                batch.fail()
                batch.error = f"{type(exc).__name__}: {exc}"
                batch.save()
        return batch


def _chunk_done(downstream: Downstream, waves: list[int] | None) -> None:
    _hook("chunk")
    downstream.check()
    downstream.submit(waves or [])


class _Stopped(Exception):
    """The batch left ``executing`` (rolled back) while the run was going."""


def _executing(batch_id: int, *, change: bool = False) -> OutboundBatch:
    """The batch, locked for a step (``change``: for a change of its own status), or
    :class:`_Stopped` if it is no longer executing."""
    batch = batch_lock(batch_id) if change else batch_share(batch_id)
    if batch.status != BatchStatus.EXECUTING:
        raise _Stopped()
    return batch


def _waves(batch_id: int) -> list[tuple[int, int]]:
    return list(Wave.objects.filter(batch_id=batch_id, status=WaveStatus.OPEN)
                .order_by("seq").values_list("pk", "orders_count"))


def _groups(waves: list[tuple[int, int]]) -> list[list[int]]:
    """Consecutive waves of at least :data:`CHUNK` orders together (the last one smaller)."""
    groups, group, size = [], [], 0
    for wave_id, orders in waves:
        group.append(wave_id)
        size += orders
        if size >= CHUNK:
            groups.append(group)
            group, size = [], 0
    if group:
        groups.append(group)
    return groups


# ------------------------------------------------------------------ 1. allocate + wave


def _planned_chunks(batch_id: int) -> list[list[int]]:
    """The batch's planned orders in execution order (planned warehouse, then priority), in
    chunks of :data:`CHUNK` — read once per run: ordering by a key inside the plan document
    at every chunk reads every remaining plan again.  Each chunk checks its step again."""
    ids = list(BatchOrder.objects.filter(batch_id=batch_id, step=Step.PLANNED)
               .order_by("plan__warehouse", "-priority_score", "id").values_list("pk", flat=True))
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value  # jsonb comes as text


def _planned_items(batch, ids: list[int] | None) -> list[BatchOrder]:
    """The chunk's planned batch orders, each plan without its routing explanation (the
    database copies that to the order itself) but with the routing's deciding rule."""
    qs = (BatchOrder.objects.filter(batch=batch, step=Step.PLANNED).defer("entry", "plan")
          .annotate(plan_lite=RawSQL("warehouses_batchorder.plan - 'routing'", ()),
                    planned_rule=RawSQL("warehouses_batchorder.plan -> 'routing' -> 'rule'", ())))
    if ids is not None:
        items = list(qs.filter(pk__in=any_of(ids)))
    else:
        items = list(qs.order_by("plan__warehouse", "-priority_score", "id")[:CHUNK])
    for it in items:
        it.plan, it.planned_rule = _json(it.plan_lite) or {}, _json(it.planned_rule)
    return items


def _allocate_and_wave_chunk(batch_id: int, known: dict,
                             ids: list[int] | None = None) -> list[int] | None:
    """Allocate and wave the chunk ``ids`` (default: the next :data:`CHUNK` planned orders);
    the waves it made, or ``None`` when there was nothing to do."""
    with transaction.atomic():
        batch = _executing(batch_id)
        items = _planned_items(batch, ids)
        if not items:
            return None
        by_order = {it.order_id: it for it in items}
        orders = orders_lock_many(ids=list(by_order), defer=UNALLOCATED_FIELDS)
        lines_attach(orders)
        for o in orders:
            item = by_order[o.pk]
            item.attempts += 1
            item.error_code = item.error = ""
            item.entry = {"status": o.status, "warehouse": o.warehouse_id, "routing": o.routing}
        orders.sort(key=lambda o: (-o.priority_score, o.paid_at or o.created_at, o.pk))
        to_allocate = _check_orders(orders, by_order)
        allocated, from_plan = _reserve(batch, to_allocate, by_order)
        entered_allocated = {o.pk for o in orders} - {o.pk for o in to_allocate}
        ready = [o for o in orders if o.pk in entered_allocated
                 and by_order[o.pk].step == Step.PLANNED
                 and o.status == OrderStatus.ALLOCATED] + allocated
        waves = orders_wave(batch, ready, by_order, unsaved={o.pk: OrderStatus.APPROVED for o in allocated},
                    routing_from=from_plan, source=SOURCE)
        if ready:  # the handover may reuse them while nobody else writes them
            versions = orders_versions([o.pk for o in ready])
            known.update((o.pk, (o, versions[o.pk])) for o in ready)
        items_save_many(items, ("step", "error_code", "error", "entry", "attempts"))
        failed = [it for it in items if it.step == Step.FAILED]
        items_save_many(failed, ("plan",))
        # Relative: the downstream thread moves the counters at the same time.
        OutboundBatch.objects.filter(pk=batch.pk).update(
            progress_failed=F("progress_failed") + len(failed))
    return waves


def _check_orders(orders, by_order) -> list:
    """Orders that may go out; the others fail with the reason."""
    ok = []
    for o in orders:
        item = by_order[o.pk]
        if o.status not in (OrderStatus.APPROVED, OrderStatus.ALLOCATED):
            fail_items([item], "wrong_status", f"order is {o.status}")
        elif o.refund_status != RefundStatus.NONE:
            fail_items([item], "refund", f"refund {o.refund_status}")
        elif o.status == OrderStatus.APPROVED:
            ok.append(o)
    return ok


def _reserve(batch, orders, by_order) -> tuple[list, dict[int, int]]:
    """Route (in memory, on locked stock rows) and reserve; ``approved → allocated``.
    Returns the allocated orders, and those executed as planned (order pk → batch order
    pk): their routing explanation is the plan's, copied by the database when the rows
    are written — in memory ``routing`` holds only the rule, warehouse and packages."""
    if not orders:
        return [], {}
    sku_ids = {ln.sku_id for o in orders for ln in o.lines.all() if ln.sku_id}
    snapshot = RoutingSnapshot.load(sku_ids=sku_ids, levels={})
    keys = [(w.pk, s) for w in snapshot.warehouses for s in sorted(sku_ids)]
    levels = stock_levels_lock(keys=keys)
    for key, row in levels.items():
        snapshot.available[key] = row.on_hand - row.reserved
    reservations, moves = [], []
    rules = list(RoutingRule.objects.filter(active=True).order_by("priority", "id"))
    digest = routing_digest(rules, snapshot.warehouses)
    from_plan = {}
    for o in orders:
        item = by_order[o.pk]
        decision = planned_decision(o, item.plan or {}, rule=item.planned_rule, digest=digest,
                                    snapshot=snapshot)
        if decision is not None:
            routing = {"rule": decision.rule, "warehouse": decision.warehouse.code,
                       "packages": item.plan["packages"]}
            from_plan[o.pk] = item.pk
        else:
            try:
                decision = order_route(order=o, snapshot=snapshot, rules=rules)
            except DomainError as exc:
                fail_items([by_order[o.pk]], exc.code, exc.message, exc.details)
                continue
            routing = decision.as_json()
        snapshot.take(decision)
        for alloc in decision.allocations:
            reservations.append(Reservation(order=o, line=alloc.line, warehouse=alloc.warehouse,
                                            sku_id=alloc.line.sku_id, quantity=alloc.line.quantity))
        o.warehouse, o.routing = decision.warehouse, routing
        moves.append(Move(order=o, payload={"warehouse": o.routing["warehouse"],
                                            "rule": o.routing["rule"],
                                            "packages": o.routing["packages"], "batch": batch.pk}))
    stock_reserve_many(reservations=reservations, levels=levels)
    # The rows are written once, by ``start_picking`` in ``orders_wave`` (same transaction).
    orders_transition_many(moves=moves, name="allocate", source=SOURCE, save=False)
    for m in moves:
        by_order[m.order.pk].step = Step.ALLOCATED
    return [m.order for m in moves], from_plan


def _progress(batch) -> None:
    """The progress counters recounted, on the instance (the caller saves it)."""
    from warehouses.selectors import outbound_batch_counts

    counts = outbound_batch_counts(batch=batch)
    batch.progress_done = counts["done"]
    batch.progress_failed = counts[Step.FAILED] + counts[Step.BLOCKED]


# ------------------------------------------------------------- 2. tracking, 3. labels
# ``carrier_steps.py``: ``track_waves`` / ``label_waves`` (called with this module's
# ``_executing`` guard and crash-test ``_hook``).


# ---------------------------------------------------------------------- 4. handover
# ``handover.py``: ``handover_wave`` / ``outbound_handover``.


def _finish(batch_id: int) -> OutboundBatch:
    from warehouses.selectors import outbound_batch_counts

    with transaction.atomic():
        batch = _executing(batch_id, change=True)
        counts = outbound_batch_counts(batch=batch)
        unfinished = counts[Step.PLANNED] + counts[Step.ALLOCATED] + counts[Step.WAVED]
        if unfinished:
            batch.fail()
            batch.error = f"{unfinished} order(s) did not finish; execute again to resume"
        elif counts[Step.FAILED] or counts[Step.BLOCKED]:
            batch.finish_partially()
        else:
            batch.finish()
        batch.finished_at = timezone.now()
        batch.progress_done = counts["done"]
        batch.progress_failed = counts[Step.FAILED] + counts[Step.BLOCKED]
        batch.save()
    return batch
