"""Choose the warehouse(s) of an order with an ordered, admin-editable rule list.

Reads only: nothing here writes or locks.  :func:`order_route` returns a
:class:`RoutingDecision` that the allocation service reserves and stores on the order
(``Order.routing``: the deciding rule, every candidate with its facts and score, and
what each rule did).

The pipeline keeps a set of *alive* candidates (active warehouses).  Rules run in
``priority`` order; a rule may narrow the set (cold chain, capacity), pin lines
(SKU pin) or *decide*.  The first rule that decides wins:

* ``sku_pin``         lines of the SKU must ship from the warehouse; decides when that
                      warehouse can ship the whole order.
* ``region``          receiver province in the list → the warehouse, if it can ship all.
* ``cold_chain``      an order with a cold-chain SKU drops warehouses without cold chain;
                      decides when exactly one is left and it can ship everything.
* ``capacity``        drops warehouses whose daily capacity is used up today; decides
                      like ``cold_chain``.
* ``single``          keeps the warehouses that can ship everything; decides if one is left.
* ``fewest_packages`` as ``single``; when none can ship everything, splits the order over
                      the fewest warehouses (ties: shortest total distance).
* ``nearest``         among those that can ship everything, the nearest to the receiver
                      (great-circle distance from the city centroid, else the province's).

Nothing decided → fallback: nearest that can ship all, else the fewest-packages split,
else :class:`~warehouses.services.stock.InsufficientStock`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from orders.choices import RefundStatus
from orders.models import Order, OrderLine
from warehouses.geo import centroid, haversine_km, normalize_place, warehouse_point
from warehouses.models import Reservation, RoutingRule, StockLevel, Warehouse
from warehouses.models import RoutingRuleKind as K

from .stock import InsufficientStock, LineAllocation

MAX_SPLIT_COMBINATIONS = 20_000


@dataclass
class Candidate:
    warehouse: Warehouse
    can_fill_all: bool
    fillable_lines: list[int]
    units_share: float
    distance_km: float | None
    capacity_left: int
    excluded_by: str | None = None

    @property
    def score(self) -> float:
        """100 × share of units it can ship − distance / 100 km (shown to staff)."""
        return round(100 * self.units_share - (self.distance_km or 0) / 100, 2)

    def as_json(self) -> dict:
        w = self.warehouse
        return {"warehouse": w.code, "can_fill_all": self.can_fill_all,
                "fillable_lines": self.fillable_lines, "distance_km": _km(self.distance_km),
                "capacity_left": self.capacity_left, "cold_chain": w.cold_chain,
                "excluded_by": self.excluded_by, "score": self.score}


@dataclass
class RoutingDecision:
    rule: dict
    packages: list[tuple[Warehouse, list[OrderLine]]]
    candidates: list[Candidate]
    steps: list[dict] = field(default_factory=list)
    receiver: dict = field(default_factory=dict)

    @property
    def warehouse(self) -> Warehouse:
        """The main warehouse (most lines) — ``Order.warehouse``."""
        return max(self.packages, key=lambda p: (len(p[1]), -p[0].pk))[0]

    @property
    def allocations(self) -> list[LineAllocation]:
        return [LineAllocation(line=line, warehouse=w) for w, lines in self.packages for line in lines]

    def as_json(self) -> dict:
        return {
            "rule": self.rule,
            "warehouse": self.warehouse.code,
            "split": len(self.packages) > 1,
            "packages": [{"warehouse": w.code, "lines": [ln.line_no for ln in lines]}
                         for w, lines in self.packages],
            "candidates": [c.as_json() for c in self.candidates],
            "steps": self.steps,
            "receiver": self.receiver,
            "routed_at": timezone.now().isoformat(),
        }


def _km(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _rule_ref(rule: RoutingRule | None, kind: str = "fallback") -> dict:
    if rule is None:
        return {"id": None, "name": "fallback", "kind": kind}
    return {"id": rule.pk, "name": rule.name, "kind": rule.kind}


def routable_lines(order: Order) -> list[OrderLine]:
    lines = [ln for ln in order.lines.all() if ln.refund_status != RefundStatus.REFUNDED]
    unknown = [ln.line_no for ln in lines if ln.sku_id is None]
    if unknown:
        raise ValidationFailed(_("lines %(lines)s have no known SKU") % {"lines": unknown}, code="unknown_sku",
                               details={"lines": unknown})
    if not lines:
        raise ValidationFailed(_("the order has no line to ship"), code="nothing_to_ship")
    return lines


@dataclass
class RoutingSnapshot:
    """Warehouses, available stock and capacity left, loaded once.

    A single order loads its own; a batch loads one for all its SKUs and routes every
    order against it in memory, taking each decision's units off (:meth:`take`) so the
    next order sees what is left — the same answers as routing them one by one.
    """

    warehouses: list[Warehouse]
    available: dict[tuple[int, int], int]
    capacity_left: dict[int, int]

    @classmethod
    def load(cls, *, sku_ids, levels: dict | None = None) -> RoutingSnapshot:
        warehouses = list(Warehouse.objects.filter(active=True).order_by("code"))
        available: dict[tuple[int, int], int] = defaultdict(int)
        if levels is not None:  # rows the caller locked
            for key, row in levels.items():
                available[key] = row.on_hand - row.reserved
        else:
            for w_id, s_id, avail in StockLevel.objects.filter(
                sku_id__in=set(sku_ids), warehouse__active=True
            ).annotate(avail=F("on_hand") - F("reserved")).values_list("warehouse_id", "sku_id",
                                                                        "avail"):
                available[(w_id, s_id)] = avail
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        used = dict(
            Reservation.objects.filter(created_at__gte=today).values("warehouse")
            .annotate(n=Count("order", distinct=True)).values_list("warehouse", "n")
        )
        capacity_left = {w.pk: w.daily_capacity - used.get(w.pk, 0) for w in warehouses}
        return cls(warehouses=warehouses, available=available, capacity_left=capacity_left)

    def take(self, decision: RoutingDecision) -> None:
        for w, lines in decision.packages:
            for ln in lines:
                self.available[(w.pk, ln.sku_id)] -= ln.quantity
            self.capacity_left[w.pk] = self.capacity_left.get(w.pk, 0) - 1


class _Context:
    """Everything the rules look at, loaded with a fixed number of queries."""

    def __init__(self, order: Order, lines: list[OrderLine], snapshot: RoutingSnapshot | None = None):
        self.order, self.lines = order, lines
        if snapshot is None:
            snapshot = RoutingSnapshot.load(sku_ids={ln.sku_id for ln in lines})
        self.warehouses = snapshot.warehouses
        self.available = snapshot.available
        self.capacity_left = snapshot.capacity_left
        point = centroid(order.receiver_province, order.receiver_city)
        self.receiver = {"province": order.receiver_province, "city": order.receiver_city,
                         "located_by": point[2] if point else None}
        self.distance = {}
        for w in self.warehouses:
            wp = warehouse_point(w)
            self.distance[w.pk] = haversine_km(point[:2], wp) if point and wp else None
        self.need: dict[int, int] = defaultdict(int)
        for ln in lines:
            self.need[ln.sku_id] += ln.quantity
        self.cold = any(ln.sku.cold_chain for ln in lines)

    def can_fill_all(self, w: Warehouse) -> bool:
        return all(self.available[(w.pk, s)] >= q for s, q in self.need.items())

    def candidate(self, w: Warehouse) -> Candidate:
        fillable = [ln.line_no for ln in self.lines if self.available[(w.pk, ln.sku_id)] >= ln.quantity]
        total = sum(self.need.values())
        units = sum(min(q, max(self.available[(w.pk, s)], 0)) for s, q in self.need.items())
        return Candidate(warehouse=w, can_fill_all=self.can_fill_all(w), fillable_lines=fillable,
                         units_share=units / total if total else 0.0,
                         distance_km=self.distance[w.pk], capacity_left=self.capacity_left[w.pk])


def _nearest(cands: list[Candidate]) -> Candidate:
    return min(cands, key=lambda c: (c.distance_km is None, c.distance_km or 0, c.warehouse.code))


def _split(ctx: _Context, alive: list[Candidate], pins: dict[int, Candidate]):
    """Fewest warehouses that together ship every line whole; ties → least total distance."""
    lines = sorted(ctx.lines, key=lambda ln: -ln.quantity)
    pinned = {c.warehouse.pk for c in pins.values()}
    tried = 0
    for k in range(max(1, len(pinned)), len(alive) + 1):
        best = None
        for combo in combinations(alive, k):
            tried += 1
            if tried > MAX_SPLIT_COMBINATIONS:
                return best
            if not pinned <= {c.warehouse.pk for c in combo}:
                continue
            plan = _assign(ctx, lines, combo, pins)
            if plan is None:
                continue
            cost = (sum(c.distance_km or 0 for c in combo), [c.warehouse.code for c in combo])
            if best is None or cost < best[0]:
                best = (cost, plan)
        if best:
            return best[1]
    return None


def _assign(ctx, lines, combo, pins) -> dict[int, Candidate] | None:
    left = {(c.warehouse.pk, s): ctx.available[(c.warehouse.pk, s)] for c in combo for s in ctx.need}
    plan: dict[int, Candidate] = {}

    def place(i: int) -> bool:
        if i == len(lines):
            return True
        line = lines[i]
        options = [pins[line.line_no]] if line.line_no in pins else sorted(
            combo, key=lambda c: -left[(c.warehouse.pk, line.sku_id)])
        for c in options:
            key = (c.warehouse.pk, line.sku_id)
            if left[key] >= line.quantity:
                left[key] -= line.quantity
                plan[line.line_no] = c
                if place(i + 1):
                    return True
                left[key] += line.quantity
        return False

    return plan if place(0) else None


def order_route(*, order: Order, rules: list[RoutingRule] | None = None,
                snapshot: RoutingSnapshot | None = None) -> RoutingDecision:
    """Decide where ``order`` ships from.  Raises ``InsufficientStock`` when nowhere can.

    ``snapshot``: route against preloaded stock (batch planning); the caller ``take``s."""
    lines = routable_lines(order)
    ctx = _Context(order, lines, snapshot)
    if rules is None:
        rules = list(RoutingRule.objects.filter(active=True).order_by("priority", "id"))
    cands = [ctx.candidate(w) for w in ctx.warehouses]
    by_code = {c.warehouse.code: c for c in cands}
    alive = list(cands)
    pins: dict[int, Candidate] = {}
    steps: list[dict] = []

    def full(pool):
        return [c for c in pool if c.can_fill_all and all(p is c for p in pins.values())]

    def decide(rule, plan):
        packages = defaultdict(list)
        for ln in lines:
            packages[plan[ln.line_no].warehouse].append(ln)
        ordered = sorted(packages.items(), key=lambda p: (-len(p[1]), p[0].code))
        return RoutingDecision(rule=rule, packages=ordered, candidates=cands, steps=steps,
                               receiver=ctx.receiver)

    def whole(c):
        return {ln.line_no: c for ln in lines}

    def drop(rule, keep):
        for c in alive:
            if not keep(c):
                c.excluded_by = rule.name
        alive[:] = [c for c in alive if keep(c)]

    for rule in rules:
        step = {"rule": rule.name, "kind": rule.kind}
        steps.append(step)
        params = rule.params or {}
        if rule.kind == K.COLD_CHAIN:
            if ctx.cold:
                drop(rule, lambda c: c.warehouse.cold_chain)
            step["result"] = f"{len(alive)} left" if ctx.cold else "not a cold-chain order"
            if ctx.cold and len(alive) == 1 and full(alive):
                return decide(_rule_ref(rule), whole(alive[0]))
        elif rule.kind == K.CAPACITY:
            before = len(alive)
            drop(rule, lambda c: c.capacity_left > 0)
            step["result"] = f"{len(alive)} left"
            if len(alive) == 1 and before > 1 and full(alive):
                return decide(_rule_ref(rule), whole(alive[0]))
        elif rule.kind == K.SKU_PIN:
            target = by_code.get(params.get("warehouse"))
            hit = [ln for ln in lines if ln.sku.code == params.get("sku")]
            if not hit:
                step["result"] = "SKU not in order"
                continue
            if target is None or target not in alive:
                step["result"] = "pinned warehouse unavailable"
                continue
            pins.update({ln.line_no: target for ln in hit})
            step["result"] = f"lines {[ln.line_no for ln in hit]} pinned to {target.warehouse.code}"
            if target.can_fill_all and all(p is target for p in pins.values()):
                return decide(_rule_ref(rule), whole(target))
        elif rule.kind == K.REGION:
            provinces = {normalize_place(p) for p in params.get("provinces", [])}
            target = by_code.get(params.get("warehouse"))
            if normalize_place(order.receiver_province) not in provinces:
                step["result"] = "province not in region"
            elif target is None or target not in full(alive):
                step["result"] = "regional warehouse cannot ship the order"
            else:
                return decide(_rule_ref(rule), whole(target))
        elif rule.kind in (K.SINGLE, K.FEWEST_PACKAGES):
            complete = full(alive)
            if complete:
                alive[:] = complete
                step["result"] = f"{len(complete)} can ship everything"
                if len(complete) == 1:
                    return decide(_rule_ref(rule), whole(complete[0]))
            elif rule.kind == K.FEWEST_PACKAGES:
                plan = _split(ctx, alive, pins)
                if plan:
                    return decide(_rule_ref(rule), plan)
                step["result"] = "no split possible"
            else:
                step["result"] = "none can ship everything"
        elif rule.kind == K.NEAREST:
            complete = [c for c in full(alive) if c.distance_km is not None]
            if complete:
                return decide(_rule_ref(rule), whole(_nearest(complete)))
            step["result"] = "distance unknown or none can ship everything"

    complete = full(alive)
    if complete:
        return decide(_rule_ref(None), whole(_nearest(complete)))
    plan = _split(ctx, alive, pins) if alive else None
    if plan:
        return decide(_rule_ref(None, "fallback_split"), plan)
    shortages = [{"sku": ln.sku.code, "requested": ctx.need[ln.sku_id],
                  "available": max([ctx.available[(c.warehouse.pk, ln.sku_id)] for c in alive] or [0])}
                 for ln in lines]
    raise InsufficientStock(_("no warehouse (or combination) can ship this order"),
                            details={"shortages": shortages,
                                     "candidates": [c.as_json() for c in cands]})


def order_route_manual(*, order: Order, warehouse: Warehouse, actor=None) -> RoutingDecision:
    """Staff override: everything from ``warehouse`` (the candidates are still explained)."""
    lines = routable_lines(order)
    ctx = _Context(order, lines)
    cands = [ctx.candidate(w) for w in ctx.warehouses]
    rule = {"id": None, "name": "manual override", "kind": "manual",
            "actor": getattr(actor, "username", None)}
    return RoutingDecision(rule=rule, packages=[(warehouse, lines)], candidates=cands,
                           steps=[{"rule": "manual override", "kind": "manual",
                                   "result": f"staff chose {warehouse.code}"}],
                           receiver=ctx.receiver)
