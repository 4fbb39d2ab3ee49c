"""Fulfilment options for an order that cannot be filled from its warehouse (reads only).

* ``transfer``   — ship everything from the nearest other warehouse or store that has
                   all of it; extra cost and days from the distance to the order's
                   warehouse (policy: base fee + fee per km, km per day).
* ``preorder``   — wait for the next inbound shipment(s) covering the short SKUs; the
                   buyer gets the coupon of their level.
* ``substitute`` — replace each short line by a substitutable SKU (``Sku.substitutes``)
                   with stock, ranked by similarity (reference price, name tokens,
                   cold-chain / high-value flags); the buyer gets the level's discount.

The order's warehouse ("home") is ``Order.warehouse``, else the warehouse of its last
routing, else the active warehouse nearest to the receiver.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, F
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.choices import CustomerLevel, HoldReason, OrderStatus, RefundStatus
from orders.models import Order, OrderLine, Sku
from warehouses.geo import centroid, haversine_km, warehouse_point
from warehouses.models import PriceFloor, StockLevel, Warehouse

from ..models import FulfilmentPolicy, InboundLine, InboundStatus, OptionKind

CENT = Decimal("0.01")
MAX_TRANSFERS = 3
MAX_SUBSTITUTE_OPTIONS = 3
FULFILLABLE = (OrderStatus.PAID, OrderStatus.ON_HOLD, OrderStatus.APPROVED)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class FulfillmentOptions:
    order: Order
    home: Warehouse | None
    policy: FulfilmentPolicy
    short_lines: list[dict] = field(default_factory=list)
    options: list[dict] = field(default_factory=list)
    reason: str = ""

    def get(self, option_id: str) -> dict | None:
        return next((o for o in self.options if o["id"] == option_id), None)

    def as_json(self) -> dict:
        return {
            "oid": str(self.order.oid),
            "status": self.order.status,
            "customer_level": self.policy.level,
            "warehouse": self.home.code if self.home else None,
            "short_lines": self.short_lines,
            "options": self.options,
            "reason": self.reason,
            "computed_at": timezone.now().isoformat(),
        }


def policy_for(order: Order) -> FulfilmentPolicy:
    level = order.customer.level if order.customer_id else CustomerLevel.NORMAL
    return (FulfilmentPolicy.objects.filter(level=level).first()
            or FulfilmentPolicy(level=level))


def _home(order: Order, warehouses: list[Warehouse]) -> Warehouse | None:
    by_pk = {w.pk: w for w in warehouses}
    by_code = {w.code: w for w in warehouses}
    if order.warehouse_id in by_pk:
        return by_pk[order.warehouse_id]
    routed = (order.routing or {}).get("warehouse")
    if routed in by_code:
        return by_code[routed]
    point = centroid(order.receiver_province, order.receiver_city)
    located = [(haversine_km(point[:2], p), w.code, w) for w in warehouses
               if point and (p := warehouse_point(w))]
    return min(located)[2] if located else None


def _distance(a: Warehouse | None, b: Warehouse) -> float | None:
    pa, pb = (warehouse_point(a) if a else None), warehouse_point(b)
    return haversine_km(pa, pb) if pa and pb else None


def _tokens(text: str) -> set[str]:
    text = (text or "").lower()
    words = set(re.findall(r"[a-z0-9]+", text))
    cjk = re.sub(r"[^\u4e00-\u9fff]", "", text)
    words |= {cjk[i:i + 2] for i in range(len(cjk) - 1)} or set(cjk)
    return words


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _reference_prices(sku_ids: set[int], line_prices: dict[int, Decimal]) -> dict[int, Decimal]:
    """Price floor when set, else the recent average selling price, else the order's own."""
    prices = dict(PriceFloor.objects.filter(sku_id__in=sku_ids).values_list("sku_id", "min_unit_price"))
    for sku_id in sku_ids - prices.keys():
        recent = OrderLine.objects.filter(sku_id=sku_id).order_by("-id").values("unit_price")[:20]
        avg = OrderLine.objects.filter(pk__in=recent.values("pk")).aggregate(p=Avg("unit_price"))["p"]
        if avg is not None:
            prices[sku_id] = Decimal(avg)
        elif sku_id in line_prices:
            prices[sku_id] = line_prices[sku_id]
    return prices


def similarity(original: Sku, candidate: Sku, prices: dict[int, Decimal]) -> float:
    """0..1: 0.4 × price closeness + 0.4 × name-token overlap + 0.2 × same flags."""
    p0, p1 = prices.get(original.pk), prices.get(candidate.pk)
    if p0 and p1:
        price = 1 - min(1.0, float(abs(p1 - p0) / p0))
    else:
        price = 0.5
    name = _jaccard(_tokens(original.name), _tokens(candidate.name))
    flags = ((original.cold_chain == candidate.cold_chain) + (original.high_value == candidate.high_value)) / 2
    return round(0.4 * price + 0.4 * name + 0.2 * flags, 3)


class _Stock:
    def __init__(self, sku_ids, warehouses):
        self.available: dict[tuple[int, int], int] = defaultdict(int)
        rows = (StockLevel.objects.filter(sku_id__in=sku_ids, warehouse__in=warehouses)
                .annotate(avail=F("on_hand") - F("reserved"))
                .values_list("warehouse_id", "sku_id", "avail"))
        for w_id, s_id, avail in rows:
            self.available[(w_id, s_id)] = avail

    def has(self, warehouse: Warehouse, need: dict[int, int]) -> bool:
        return all(self.available[(warehouse.pk, s)] >= q for s, q in need.items())


def fulfillment_options(*, order: Order, today: date | None = None) -> FulfillmentOptions:
    """Every costed option for ``order`` (empty when nothing is short)."""
    today = today or timezone.localdate()
    policy = policy_for(order)
    warehouses = list(Warehouse.objects.filter(active=True).order_by("code"))
    home = _home(order, warehouses)
    result = FulfillmentOptions(order=order, home=home, policy=policy)
    if order.status not in FULFILLABLE:
        result.reason = "status"
        return result
    lines = list(OrderLine.objects.filter(order=order).exclude(refund_status=RefundStatus.REFUNDED)
                 .select_related("sku").order_by("line_no"))
    if not lines or any(ln.sku_id is None for ln in lines):
        result.reason = "unknown_sku" if lines else "nothing_to_ship"
        return result
    need: dict[int, int] = defaultdict(int)
    for ln in lines:
        need[ln.sku_id] += ln.quantity
    subs = {sku.pk: list(sku.substitutes.filter(active=True).order_by("code"))
            for sku in {ln.sku for ln in lines}}
    stock = _Stock(set(need) | {s.pk for group in subs.values() for s in group}, warehouses)

    short = [ln for ln in lines
             if home is None or stock.available[(home.pk, ln.sku_id)] < need[ln.sku_id]]
    if home is not None and not short:
        result.reason = "in_stock"
        return result
    if home is None:
        short = lines
    result.short_lines = [
        {"line_no": ln.line_no, "sku": ln.sku.code, "quantity": ln.quantity,
         "available": stock.available[(home.pk, ln.sku_id)] if home else None}
        for ln in short
    ]
    result.options += _transfers(order, home, warehouses, stock, need, policy, today)
    result.options += _preorder(short, need, policy, today)
    result.options += _substitutes(order, home, warehouses, short, subs, stock, policy)
    if not result.options:
        result.reason = "no_option"
    return result


def _transfers(order, home, warehouses, stock, need, policy, today) -> list[dict]:
    point = centroid(order.receiver_province, order.receiver_city)
    found = []
    cold = any(ln.sku.cold_chain for ln in order.lines.all() if ln.sku_id)
    for w in warehouses:
        if w == home or not stock.has(w, need) or (cold and not w.cold_chain):
            continue
        km = _distance(home, w)
        wp = warehouse_point(w)
        to_receiver = haversine_km(point[:2], wp) if point and wp else None
        if km is None:
            km = to_receiver
        found.append((km is None, km or 0, w.code, w, km, to_receiver))
    options = []
    for _unknown, _km, _code, w, km, to_receiver in sorted(found)[:MAX_TRANSFERS]:
        km_cost = Decimal(str(round(km or 0, 1)))
        extra = money(policy.transfer_base_fee + policy.transfer_fee_per_km * km_cost)
        days = max(1, math.ceil((km or 0) / policy.transfer_km_per_day))
        options.append({
            "id": f"transfer:{w.code}", "kind": OptionKind.TRANSFER.value,
            "title": _("Ship from %(name)s (%(code)s, %(kind)s) by express")
                     % {"name": w.name, "code": w.code, "kind": w.get_kind_display()},
            "warehouse": w.code, "warehouse_kind": w.kind,
            "distance_km": None if km is None else round(km, 1),
            "distance_to_receiver_km": None if to_receiver is None else round(to_receiver, 1),
            "extra_days": days, "estimated_ship_date": (today + timedelta(days=days)).isoformat(),
            "cost": {"extra_cost": str(extra), "coupon": "0.00", "discount": "0.00",
                     "total": str(extra)},
        })
    return options


def _preorder(short, need, policy, today) -> list[dict]:
    skus = {ln.sku_id: ln.sku for ln in short}
    rows = (InboundLine.objects.filter(sku_id__in=skus, shipment__status=InboundStatus.EXPECTED,
                                       shipment__expected_date__gte=today)
            .annotate(free_units=F("quantity") - F("promised"))
            .select_related("shipment__warehouse")
            .order_by("shipment__expected_date", "shipment_id", "id"))
    chosen: dict[int, InboundLine] = {}
    for row in rows:
        if row.sku_id not in chosen and row.free_units >= need[row.sku_id]:
            chosen[row.sku_id] = row
    if set(chosen) != set(skus):
        return []
    expected = max(row.shipment.expected_date for row in chosen.values())
    coupon = money(policy.preorder_coupon)
    inbound = [{"inbound_line": row.pk, "shipment": row.shipment.reference,
                "warehouse": row.shipment.warehouse.code,
                "expected_date": row.shipment.expected_date.isoformat(),
                "sku": skus[sku_id].code, "quantity": need[sku_id]}
               for sku_id, row in sorted(chosen.items())]
    return [{
        "id": "preorder:" + ",".join(str(row.pk) for _s, row in sorted(chosen.items())),
        "kind": OptionKind.PREORDER.value,
        "title": _("Preorder from the inbound of %(date)s with a ¥%(coupon)s coupon")
                 % {"date": expected.isoformat(), "coupon": coupon},
        "inbound": inbound, "expected_date": expected.isoformat(),
        "wait_days": (expected - today).days,
        "cost": {"extra_cost": "0.00", "coupon": str(coupon), "discount": "0.00",
                 "total": str(coupon)},
    }]


def _substitutes(order, home, warehouses, short, subs, stock, policy) -> list[dict]:
    line_prices = {ln.sku_id: ln.unit_price for ln in short}
    all_ids = {ln.sku_id for ln in short} | {s.pk for ln in short for s in subs[ln.sku_id]}
    prices = _reference_prices(all_ids, line_prices)
    ranked: dict[int, list[tuple[float, Sku, Warehouse]]] = {}
    for ln in short:
        found = []
        for sub in subs[ln.sku_id]:
            where = [w for w in warehouses if stock.available[(w.pk, sub.pk)] >= ln.quantity
                     and (w.cold_chain or not sub.cold_chain)]
            if not where:
                continue
            at = home if home in where else min(
                where, key=lambda w: (_distance(home, w) is None, _distance(home, w) or 0, w.code))
            found.append((similarity(ln.sku, sub, prices), sub, at))
        if not found:
            return []
        ranked[ln.line_no] = sorted(found, key=lambda t: (-t[0], t[1].code))
    percent = Decimal(policy.substitute_discount_percent)
    options, seen = [], set()
    for k in range(MAX_SUBSTITUTE_OPTIONS):
        swaps = []
        for ln in short:
            score, sub, at = ranked[ln.line_no][min(k, len(ranked[ln.line_no]) - 1)]
            swaps.append({"line_no": ln.line_no, "from_sku": ln.sku.code, "to_sku": sub.code,
                          "to_name": sub.name, "quantity": ln.quantity, "similarity": score,
                          "warehouse": at.code, "line_amount": str(money(ln.amount)),
                          "discount": str(money(ln.amount * percent / 100))})
        option_id = "substitute:" + ",".join(f"{s['line_no']}={s['to_sku']}" for s in swaps)
        if option_id in seen:
            break
        seen.add(option_id)
        discount = money(sum(Decimal(s["discount"]) for s in swaps))
        options.append({
            "id": option_id, "kind": OptionKind.SUBSTITUTE.value,
            "title": _("Substitute %(swaps)s with %(percent)s%% off") % {
                "swaps": ", ".join(f"{s['from_sku']} → {s['to_sku']}" for s in swaps),
                "percent": percent.normalize()},
            "swaps": swaps, "discount_percent": str(percent),
            "similarity": round(min(s["similarity"] for s in swaps), 3),
            "cost": {"extra_cost": "0.00", "coupon": "0.00", "discount": str(discount),
                     "total": str(discount)},
        })
    return options


def order_is_out_of_stock_hold(order: Order) -> bool:
    return order.status == OrderStatus.ON_HOLD and order.hold_reason == HoldReason.OUT_OF_STOCK
