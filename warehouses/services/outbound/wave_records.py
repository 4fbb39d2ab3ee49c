"""A wave's derived records: its pick list and counts rebuilt from live parcels, and the
data its shipping labels print."""

from __future__ import annotations

from orders.models import Sku
from warehouses.models import Parcel, ParcelStatus, PickListLine, StockLevel, Wave, WaveStatus

from . import documents
from .waves import ParcelDraft, WaveDraft, pick_list


def wave_recount(wave_id: int) -> None:
    """Counts and pick list of a wave from its live (non-void) parcels."""
    wave = Wave.objects.get(pk=wave_id)
    parcels = list(Parcel.objects.filter(wave=wave).exclude(status=ParcelStatus.VOID)
                   .select_related("item"))
    drafts = [ParcelDraft(key=(p.item_id, p.package), warehouse_id=wave.warehouse_id,
                          carrier=p.carrier, lines=p.lines, weight_g=p.weight_g, score=0,
                          order_id=p.item.order_id) for p in parcels]
    wd = WaveDraft(warehouse_id=wave.warehouse_id, carrier=wave.carrier, kind=wave.kind,
                   hot_sku_id=wave.hot_sku_id, parcels=drafts)
    sku_ids = {ln["sku_id"] for d in drafts for ln in d.lines}
    bins = {(w, s): b for w, s, b in StockLevel.objects.filter(sku_id__in=sku_ids,
                                                               warehouse_id=wave.warehouse_id)
            .values_list("warehouse_id", "sku_id", "bin_location")}
    codes = dict(Sku.objects.filter(pk__in=sku_ids).values_list("pk", "code"))
    PickListLine.objects.filter(wave=wave).delete()
    PickListLine.objects.bulk_create(
        PickListLine(wave=wave, position=i, sku_id=r["sku_id"], bin_location=r["bin_location"],
                     quantity=r["quantity"], orders_count=r["orders_count"])
        for i, r in enumerate(pick_list(wd, bins, codes), start=1))
    Wave.objects.filter(pk=wave.pk).update(
        orders_count=len(drafts), lines_count=wd.lines, units=sum(d.units for d in drafts),
        weight_g=wd.weight_g, status=WaveStatus.OPEN if drafts else WaveStatus.DISSOLVED)


def wave_label_data(wave_id: int) -> list[documents.LabelData]:
    """What each live, numbered parcel of the wave prints on its label."""
    return waves_label_data([wave_id]).get(wave_id, [])


def waves_label_data(wave_ids) -> dict[int, list[documents.LabelData]]:
    """What each live, numbered parcel's label prints, by wave (parcels in primary-key
    order; plain rows: no model instances)."""
    # ``tracking_no IS NOT NULL`` is checked here, not in SQL: in SQL it matches the partial
    # unique index on numbers, which a planner with young statistics then walks whole.
    rows = (Parcel.objects.filter(wave_id__in=list(wave_ids))
            .exclude(status=ParcelStatus.VOID).order_by("pk")
            .values_list("wave_id", "tracking_no", "carrier", "package", "lines", "weight_g",
                         "wave__code", "wave__warehouse__name", "wave__warehouse__province",
                         "wave__warehouse__city", "item__order__receiver_name",
                         "item__order__receiver_phone", "item__order__receiver_province",
                         "item__order__receiver_city", "item__order__receiver_district",
                         "item__order__receiver_address", "item__order__channel_order_id"))
    out: dict[int, list[documents.LabelData]] = {}
    for (wave_id, tracking_no, carrier, package, lines, weight_g, wave_code, w_name, w_province,
         w_city, name, phone, province, city, district, address, channel_order_id) in rows:
        if tracking_no is None:
            continue
        out.setdefault(wave_id, []).append(documents.LabelData(
            tracking_no=tracking_no, carrier=carrier, wave=wave_code,
            sender=f"{w_name} {w_province}{w_city}", receiver_name=name, receiver_phone=phone,
            receiver_address=f"{province}{city}{district}{address}",
            order_ref=channel_order_id, package=str(package),
            contents=", ".join(f"{ln['sku']}×{ln['quantity']}" for ln in lines),
            weight_g=weight_g))
    return out
