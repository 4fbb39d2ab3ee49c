"""Carrier pickup (handover): ``picking → shipped`` for labelled waves — the point of no
return for a rollback (stock is consumed and the platform is told through the outbox)."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import TransitionNotAllowed
from orders.choices import OrderStatus
from warehouses.carriers import carrier_client
from warehouses.models import (
    BatchOrder,
    BatchStatus,
    Parcel,
    ParcelStatus,
    Step,
    Wave,
    WaveStatus,
)

from .bulk import (
    UNREAD_JSON,
    Move,
    any_of,
    orders_lock_known,
    orders_lock_many,
    orders_transition_many,
)
from .locks import batch_share


def handover_wave(*, batch_id: int, wave_id: int | list[int], actor=None, source: str = "admin",
                  order_ids=None, known: dict | None = None) -> int:
    """Carrier pickup scan: ``picking → shipped`` for the wave's (or waves') orders whose
    every parcel is labelled.  The point of no return for a rollback.  Returns orders shipped.

    ``known``: orders the calling run still holds with their row versions (see
    ``orders_lock_known``) — reused when nobody wrote them since, instead of loaded again."""
    with transaction.atomic():
        batch = batch_share(batch_id)  # beside the run's steps (see ``locks``)
        if batch.status == BatchStatus.ROLLED_BACK:
            raise TransitionNotAllowed(_("the batch was rolled back"), code="batch_rolled_back")
        waves = wave_id if isinstance(wave_id, list) else [wave_id]
        # The waves' orders by primary key (a join through the waves lets the planner walk
        # the whole batch) whose every parcel is labelled (or void).
        in_waves = set(Parcel.objects.filter(wave_id__in=waves).values_list("item_id", flat=True))
        items = BatchOrder.objects.filter(pk__in=any_of(in_waves), batch=batch, step=Step.TRACKED)
        if order_ids is not None:
            items = items.filter(order_id__in=order_ids)
        items = list(items.exclude(Exists(Parcel.objects.filter(item=OuterRef("pk")).exclude(
            status__in=[ParcelStatus.LABELLED, ParcelStatus.HANDED_OVER, ParcelStatus.VOID])))
            .only("pk", "order_id"))  # not the plan and entry documents
        if not items:
            return 0
        ids = [it.order_id for it in items]
        locked = (orders_lock_known(ids=ids, known=known, defer=UNREAD_JSON) if known
                  else orders_lock_many(ids=ids, defer=UNREAD_JSON))
        orders = {o.pk: o for o in locked}
        parcels = defaultdict(list)  # item id → [{package, carrier, tracking_no}] by package
        for item_id, package, carrier, tracking_no in (
                Parcel.objects.filter(item_id__in=any_of(it.pk for it in items))
                .exclude(status=ParcelStatus.VOID).order_by("package")
                .values_list("item_id", "package", "carrier", "tracking_no")):
            parcels[item_id].append({"package": package, "carrier": carrier,
                                     "tracking_no": tracking_no})
        moves, shipped_items = [], []
        for it in items:
            o = orders[it.order_id]
            if o.status != OrderStatus.PICKING:
                continue
            mine = parcels[it.pk]
            moves.append(Move(order=o, kwargs={"carrier": mine[0]["carrier"],
                                               "tracking_no": mine[0]["tracking_no"]},
                              payload={"batch": batch.pk, "parcels": mine}))
            shipped_items.append(it)
        orders_transition_many(moves=moves, name="ship", actor=actor, source=source)
        now = timezone.now()
        Parcel.objects.filter(item_id__in=any_of(it.pk for it in shipped_items)).exclude(
            status=ParcelStatus.VOID).update(
            status=ParcelStatus.HANDED_OVER, handed_over_at=now)
        BatchOrder.objects.filter(pk__in=any_of(it.pk for it in shipped_items)).update(
            step=Step.SHIPPED, updated_at=now)
        numbers = defaultdict(list)
        for it in shipped_items:
            for p in parcels[it.pk]:
                numbers[p["carrier"]].append(p["tracking_no"])
        transaction.on_commit(lambda: [carrier_client(c).pickup(n) for c, n in numbers.items()])
    return len(shipped_items)


def outbound_handover(*, batch_id: int, wave_ids=None, oids=None, actor=None,
                      source: str = "api") -> int:
    """Record the carrier pickup of whole waves (default: every wave) or some orders."""
    waves = Wave.objects.filter(batch_id=batch_id, status=WaveStatus.OPEN)
    if wave_ids:
        waves = waves.filter(Q(pk__in=[w for w in wave_ids if str(w).isdigit()])
                             | Q(code__in=[str(w) for w in wave_ids]))
    order_ids = None
    if oids is not None:
        from orders.models import Order

        order_ids = list(Order.objects.filter(oid__in=oids).values_list("pk", flat=True))
    return sum(handover_wave(batch_id=batch_id, wave_id=w, actor=actor, source=source,
                             order_ids=order_ids)
               for w in waves.order_by("seq").values_list("pk", flat=True))
