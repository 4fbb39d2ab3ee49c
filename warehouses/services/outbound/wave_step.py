"""Execute, step 1b: allocated orders → parcels, waves (templates and caps) and pick lists,
then ``allocated → picking`` — in the caller's transaction (``execute``'s chunk)."""

from __future__ import annotations

from collections import defaultdict

from core.bulk import model_insert_many
from orders.models import Sku
from warehouses.models import Parcel, PickListLine, Step, StockLevel, Warehouse, Wave, WaveTemplate

from .bulk import Move, orders_transition_many
from .plan import carrier_for
from .waves import ParcelDraft, build_waves, pick_list


def parcel_drafts(batch, orders, by_order) -> list[ParcelDraft]:
    """One draft parcel per package of each allocated order (the routing's packages)."""
    warehouses = {w.code: w for w in Warehouse.objects.all()}
    drafts = []
    for o in orders:
        lines = {ln.line_no: ln for ln in o.lines.all()}
        packages = (o.routing or {}).get("packages") or [
            {"warehouse": o.warehouse.code, "lines": list(lines)}]
        for number, pkg in enumerate(packages, start=1):
            w = warehouses[pkg["warehouse"]]
            pl = [lines[n] for n in pkg["lines"] if n in lines]
            carrier = carrier_for(batch_carrier=batch.carrier, warehouse=w, lines=pl)
            drafts.append(ParcelDraft(
                key=(by_order[o.pk].pk, number), warehouse_id=w.pk, carrier=carrier,
                lines=[{"line_no": ln.line_no, "sku_id": ln.sku_id, "sku": ln.sku.code,
                        "quantity": ln.quantity} for ln in pl],
                weight_g=sum((ln.sku.weight_g or 0) * ln.quantity for ln in pl),
                score=o.priority_score, order_id=o.pk))
    return drafts


def orders_wave(batch, orders, by_order, unsaved: dict[int, str], routing_from: dict[int, int],
                source: str) -> list[int]:
    """Waves + pick lists for allocated orders, then ``allocated → picking``.
    ``unsaved``: orders allocated in this transaction whose row is not written yet (pk →
    the status it still has); ``start_picking`` writes them (``routing_from``: see
    ``execute._reserve``).  Returns the new waves' ids."""
    if not orders:
        return []
    drafts = parcel_drafts(batch, orders, by_order)
    templates = {t.kind: t for t in WaveTemplate.objects.filter(active=True)}
    wave_drafts = build_waves(drafts, templates)
    sku_ids = {ln["sku_id"] for d in drafts for ln in d.lines}
    bins = {(w, s): b for w, s, b in StockLevel.objects.filter(sku_id__in=sku_ids)
            .values_list("warehouse_id", "sku_id", "bin_location")}
    codes = dict(Sku.objects.filter(pk__in=sku_ids).values_list("pk", "code"))
    seq = (Wave.objects.filter(batch=batch).order_by("-seq").values_list("seq", flat=True)
           .first() or 0)
    waves = []
    for wd in wave_drafts:
        seq += 1
        waves.append(Wave(batch=batch, seq=seq, code=f"B{batch.pk}-W{seq:04d}",
                          warehouse_id=wd.warehouse_id, carrier=wd.carrier, kind=wd.kind,
                          hot_sku_id=wd.hot_sku_id, orders_count=len(wd.parcels),
                          lines_count=wd.lines, units=sum(p.units for p in wd.parcels),
                          weight_g=wd.weight_g))
    model_insert_many(waves)
    parcels, picks, wave_of_order = [], [], defaultdict(list)
    for wave, wd in zip(waves, wave_drafts, strict=True):
        for p in wd.parcels:
            parcels.append(Parcel(item_id=p.key[0], package=p.key[1], wave=wave, carrier=p.carrier,
                                  lines=p.lines, weight_g=p.weight_g))
            wave_of_order[p.order_id].append(wave.code)
        for position, row in enumerate(pick_list(wd, bins, codes), start=1):
            picks.append(PickListLine(wave=wave, position=position, sku_id=row["sku_id"],
                                      bin_location=row["bin_location"], quantity=row["quantity"],
                                      orders_count=row["orders_count"]))
    model_insert_many(parcels)
    model_insert_many(picks)
    moves = [Move(order=o, payload={"batch": batch.pk, "waves": wave_of_order[o.pk]})
             for o in orders]
    orders_transition_many(moves=moves, name="start_picking", source=source, unsaved=unsaved,
                           routing_from=routing_from)
    for o in orders:
        by_order[o.pk].step = Step.WAVED
    return [w.pk for w in waves]
