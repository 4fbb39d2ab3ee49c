"""Wave building (pure: no queries) — warehouse practice from JST/WDT:

* **hot SKU** (爆款): parcels holding a single SKU that at least ``hot_min_orders``
  parcels of the same warehouse and carrier hold — one wave per hot SKU (pick to total,
  then label);
* **single-item** (一单一件): one line, quantity one;
* **multi-item** (一单多件): everything else.

Waves never mix warehouses, carriers, templates or hot SKUs; parcels are released in
priority order (highest score first) and a wave is closed when the next parcel would
pass the template's caps on orders, lines or weight (a parcel heavier than the weight
cap on its own gets a wave of its own).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from warehouses.models import WaveKind

FALLBACK_CAPS = {"max_orders": 100, "max_lines": 300, "max_weight_g": 200_000, "hot_min_orders": 20}


@dataclass
class ParcelDraft:
    key: tuple                      # (item id, package no)
    warehouse_id: int
    carrier: str
    lines: list[dict]               # {"line_no", "sku_id", "sku", "quantity"}
    weight_g: int
    score: int
    order_id: int

    @property
    def sku_ids(self) -> set[int]:
        return {ln["sku_id"] for ln in self.lines}

    @property
    def units(self) -> int:
        return sum(ln["quantity"] for ln in self.lines)


@dataclass
class WaveDraft:
    warehouse_id: int
    carrier: str
    kind: str
    hot_sku_id: int | None
    parcels: list[ParcelDraft] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(len(p.lines) for p in self.parcels)

    @property
    def weight_g(self) -> int:
        return sum(p.weight_g for p in self.parcels)


def _caps(templates: dict, kind: str) -> dict:
    t = templates.get(kind)
    if t is None:
        return FALLBACK_CAPS
    return {"max_orders": t.max_orders, "max_lines": t.max_lines, "max_weight_g": t.max_weight_g,
            "hot_min_orders": t.hot_min_orders}


def classify(parcels: list[ParcelDraft], templates: dict) -> dict[tuple, list[ParcelDraft]]:
    """Group one (warehouse, carrier)'s parcels by (kind, hot sku)."""
    hot_on = WaveKind.HOT_SKU in templates
    threshold = _caps(templates, WaveKind.HOT_SKU)["hot_min_orders"]
    single_sku = Counter(next(iter(p.sku_ids)) for p in parcels if len(p.sku_ids) == 1)
    hot = {sku for sku, n in single_sku.items() if hot_on and n >= threshold}
    groups: dict[tuple, list[ParcelDraft]] = defaultdict(list)
    for p in parcels:
        skus = p.sku_ids
        if len(skus) == 1 and next(iter(skus)) in hot:
            groups[(WaveKind.HOT_SKU, next(iter(skus)))].append(p)
        elif len(p.lines) == 1 and p.units == 1 and WaveKind.SINGLE_ITEM in templates:
            groups[(WaveKind.SINGLE_ITEM, None)].append(p)
        else:
            groups[(WaveKind.MULTI_ITEM, None)].append(p)
    return groups


def build_waves(parcels: list[ParcelDraft], templates: dict) -> list[WaveDraft]:
    """``templates``: active ``WaveTemplate`` by kind.  Deterministic for the same input."""
    by_group: dict[tuple, list[ParcelDraft]] = defaultdict(list)
    for p in parcels:
        by_group[(p.warehouse_id, p.carrier)].append(p)
    waves: list[WaveDraft] = []
    for (warehouse_id, carrier), group in sorted(by_group.items()):
        for (kind, hot_sku), members in sorted(classify(group, templates).items(),
                                               key=lambda kv: (kv[0][0], kv[0][1] or 0)):
            caps = _caps(templates, kind)
            members.sort(key=lambda p: (-p.score, p.key))
            wave = None
            for p in members:
                if wave is None or not _fits(wave, p, caps):
                    wave = WaveDraft(warehouse_id=warehouse_id, carrier=carrier, kind=kind,
                                     hot_sku_id=hot_sku)
                    waves.append(wave)
                wave.parcels.append(p)
    return waves


def _fits(wave: WaveDraft, p: ParcelDraft, caps: dict) -> bool:
    return (len(wave.parcels) + 1 <= caps["max_orders"]
            and wave.lines + len(p.lines) <= caps["max_lines"]
            and wave.weight_g + p.weight_g <= caps["max_weight_g"])


def pick_list(wave: WaveDraft, bins: dict[tuple[int, int], str],
              sku_codes: dict[int, str]) -> list[dict]:
    """Aggregate a wave's lines by SKU, sorted by bin location (blank bins last)."""
    qty: Counter = Counter()
    orders: dict[int, set] = defaultdict(set)
    for p in wave.parcels:
        for ln in p.lines:
            qty[ln["sku_id"]] += ln["quantity"]
            orders[ln["sku_id"]].add(p.order_id)
    rows = [{"sku_id": s, "quantity": q, "orders_count": len(orders[s]),
             "bin_location": bins.get((wave.warehouse_id, s), "")} for s, q in qty.items()]
    rows.sort(key=lambda r: (r["bin_location"] == "", r["bin_location"], sku_codes.get(r["sku_id"], "")))
    return rows
