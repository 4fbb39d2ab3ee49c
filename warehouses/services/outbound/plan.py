"""Create an outbound batch (draft) and its plan — set-based, nothing reserved yet.

The plan routes every order in memory against one stock snapshot, highest priority
first, taking each decision's units off so later orders see what is left.  Per order it
records: warehouse(s) and packages, carrier, priority score, approval level (how the
order got approved) and what blocks it (status, refund, unknown SKU, no stock, another
running batch).  Blocked orders stay in the batch: execution checks them again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.bulk import model_copy_many, to_json
from core.errors import DomainError, ValidationFailed
from orders.choices import OrderStatus, RefundStatus
from orders.models import Order, OrderLine, Sku
from warehouses import selectors
from warehouses.models import BatchOrder, HandoverMode, OutboundBatch, RoutingRule, Step
from warehouses.services.routing import RoutingDecision, RoutingSnapshot, order_route

from .bulk import any_of
from .gcpause import gc_paused

MAX_BATCH_ORDERS = 20_000
ENTRY_STATUSES = (OrderStatus.APPROVED, OrderStatus.ALLOCATED)
ACTIVE_STEPS = (Step.ALLOCATED, Step.WAVED, Step.TRACKED)
# Order JSON documents neither planning nor allocation reads (``routing`` they do).
UNPLANNED_JSON = ("priority_breakdown", "invoice_request")
# What allocation (and the events it writes, and the handover that reuses its orders)
# never reads of an order: not loaded.
UNALLOCATED_FIELDS = UNPLANNED_JSON + (
    "receiver_name", "receiver_phone", "receiver_district", "receiver_address",
    "receiver_masked", "buyer_message", "seller_memo", "channel_modified_at",
    "channel_created_at", "tax_amount", "presale", "cross_border", "customer")
# What planning reads of an order (and routing: the receiver's place); the rest of the
# row — amounts, dates, texts — is not loaded.
PLANNED_FIELDS = ("id", "oid", "status", "refund_status", "priority_score", "paid_at",
                  "receiver_province", "receiver_city", "routing", "warehouse")


def carrier_for(*, batch_carrier: str, warehouse, lines) -> str:
    if batch_carrier:
        return batch_carrier
    if any(ln.sku.cold_chain or ln.sku.high_value for ln in lines):
        return "SF"
    return warehouse.default_carrier or "ZTO"


def lines_attach(orders: list[Order]) -> None:
    """Give each order ``order.lines.all()`` (by line number) with each line's SKU — one
    query for the lines, one for their SKUs, every line of a SKU sharing one instance
    (``select_related`` builds a SKU object per line: half the cost of loading them)."""
    lines = list(OrderLine.objects.filter(order_id__in=any_of(o.pk for o in orders))
                 .order_by("order_id", "line_no"))
    skus = Sku.objects.in_bulk({ln.sku_id for ln in lines if ln.sku_id})
    by_order: dict[int, list[OrderLine]] = defaultdict(list)
    for ln in lines:
        ln._state.fields_cache["sku"] = skus.get(ln.sku_id)
        by_order[ln.order_id].append(ln)
    cache_name = OrderLine._meta.get_field("order").remote_field.cache_name
    for o in orders:
        mine = by_order.get(o.pk, [])
        for ln in mine:
            ln._state.fields_cache["order"] = o
        # What ``prefetch_related`` leaves: a queryset holding the rows (a bare one — the
        # related manager's filtered queryset costs more to build than the lines to load).
        qs = QuerySet(model=OrderLine)
        qs._result_cache, qs._prefetch_done = mine, True
        o._prefetched_objects_cache = {cache_name: qs}


def routing_digest(rules, warehouses) -> str:
    """What a routing decision depends on besides stock and capacity: the active rules and
    warehouses.  Execution reuses a plan's routing only under the same digest."""
    raw = to_json([[(r.pk, r.name, r.kind, r.priority, r.params) for r in rules],
                   [(w.pk, w.code, w.cold_chain) for w in warehouses]])
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def planned_decision(order: Order, plan: dict, *, rule: dict | None, digest: str,
                     snapshot: RoutingSnapshot) -> RoutingDecision | None:
    """The plan's routing of ``order`` when it still holds — same rules and warehouses,
    the same lines, every package's units available on the (locked) ``snapshot`` and its
    warehouse's capacity not used up — so execution need not route the order again.
    ``rule``: the deciding rule of the plan's routing (``None``: the plan has none).
    ``None``: route it again."""
    if not rule or plan.get("digest") != digest or not plan.get("packages"):
        return None
    lines = {ln.line_no: ln for ln in order.lines.all() if ln.refund_status != RefundStatus.REFUNDED}
    by_code = {w.code: w for w in snapshot.warehouses}
    packages, need, planned = [], defaultdict(int), set()
    for pkg in plan["packages"]:
        w = by_code.get(pkg["warehouse"])
        if w is None or snapshot.capacity_left.get(w.pk, 0) <= 0:
            return None
        mine = [lines.get(n) for n in pkg["lines"]]
        if not mine or any(ln is None or ln.sku_id is None for ln in mine):
            return None
        for ln in mine:
            need[(w.pk, ln.sku_id)] += ln.quantity
            planned.add(ln.line_no)
        packages.append((w, mine))
    if planned != set(lines) or any(snapshot.available[k] < q for k, q in need.items()):
        return None
    return RoutingDecision(rule=rule, packages=packages, candidates=[])


def orders_for_batch(ids: list[int]) -> list[Order]:
    orders = list(Order.objects.filter(pk__in=any_of(ids)).select_related("warehouse")
                  .only(*PLANNED_FIELDS).order_by("-priority_score", "paid_at", "id"))
    lines_attach(orders)
    return orders


def approval_levels(order_ids: list[int]) -> dict[int, dict]:
    """How each order reached ``approved``: ``auto`` (rules), ``review``, ``second_review``
    or ``manual`` — from the timeline, two set-based queries."""
    if not order_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT ON (order_id, type) order_id, type, payload
               FROM orders_orderevent WHERE order_id = ANY(%s)
                 AND type IN ('order.approved', 'order.on_hold')
               ORDER BY order_id, type, id DESC""",
            [order_ids],
        )
        last: dict[int, dict] = defaultdict(dict)
        for order_id, type_, payload in cursor.fetchall():
            if isinstance(payload, str):  # Django loads jsonb as text on psycopg 3
                payload = json.loads(payload)
            last[order_id][type_] = payload if isinstance(payload, dict) else {}
    levels = {}
    for order_id in order_ids:
        approved = last[order_id].get("order.approved")
        if approved is None:
            levels[order_id] = {"level": "unknown"}
        elif approved.get("transition") == "release":
            held = last[order_id].get("order.on_hold", {})
            reason = (held.get("params") or {}).get("reason", "review")
            levels[order_id] = {"level": reason}
        else:
            rule = (approved.get("approval") or {}).get("rule")
            levels[order_id] = {"level": "auto" if "approval" in approved else "manual",
                                "rule": rule["name"] if rule else None}
    return levels


def _busy(order_ids: list[int]) -> dict[int, int]:
    """Orders already held by another batch that is running or not rolled back."""
    return dict(BatchOrder.objects.filter(order_id__in=any_of(order_ids), step__in=ACTIVE_STEPS)
                .values_list("order_id", "batch_id"))


def plan_orders(orders: list[Order], *, batch_carrier: str = "",
                exclude_batch: int | None = None) -> dict[int, dict]:
    """The plan of each order (by pk).  Reads only."""
    ids = [o.pk for o in orders]
    levels = approval_levels(ids)
    busy = {k: v for k, v in _busy(ids).items() if v != exclude_batch}
    snapshot = RoutingSnapshot.load(sku_ids={ln.sku_id for o in orders for ln in o.lines.all()
                                             if ln.sku_id})
    plans = {}
    rules = list(RoutingRule.objects.filter(active=True).order_by("priority", "id"))
    digest = routing_digest(rules, snapshot.warehouses)
    for order in orders:
        blockers, plan = [], {"score": str(order.priority_score), "status": order.status,
                              "approval": levels.get(order.pk, {"level": "unknown"})}
        if order.status not in ENTRY_STATUSES:
            blockers.append({"code": "wrong_status", "message": f"order is {order.status}"})
        if order.refund_status != RefundStatus.NONE:
            blockers.append({"code": "refund", "message": f"refund {order.refund_status}"})
        if order.pk in busy:
            blockers.append({"code": "in_other_batch",
                             "message": f"held by outbound batch #{busy[order.pk]}"})
        if order.status == OrderStatus.ALLOCATED and order.warehouse_id:
            packages = (order.routing or {}).get("packages") or [
                {"warehouse": order.warehouse.code, "lines": [ln.line_no for ln in order.lines.all()]}]
            plan.update(warehouse=order.warehouse.code, packages=packages, rule="already allocated")
        elif not blockers:
            try:
                decision = order_route(order=order, snapshot=snapshot, rules=rules)
            except DomainError as exc:
                blockers.append({"code": exc.code, "message": exc.message,
                                 "details": exc.details or {}})
            else:
                snapshot.take(decision)
                data = decision.as_json()
                # ``routing``: the whole explanation, stored on the order when execution
                # finds the plan still holds (``planned_decision``).
                plan.update(warehouse=data["warehouse"], packages=data["packages"],
                            rule=data["rule"]["name"], routing=data, digest=digest)
        if plan.get("warehouse"):
            by_code = {w.code: w for w in snapshot.warehouses}
            w = by_code.get(plan["warehouse"]) or order.warehouse
            if w is not None:
                plan["carrier"] = carrier_for(batch_carrier=batch_carrier, warehouse=w,
                                              lines=list(order.lines.all()))
        plan["blockers"] = blockers
        plans[order.pk] = plan
    return plans


def _resolve_oids(oids) -> list[int]:
    if not isinstance(oids, (list, tuple)) or not oids:
        raise ValidationFailed(_("orders must be a non-empty list of oids"), code="invalid_orders")
    parsed, bad = [], []
    for value in oids:
        try:
            parsed.append(uuid.UUID(str(value)))
        except ValueError:
            bad.append(str(value))
    if bad:
        raise ValidationFailed(_("%(n)d invalid oid(s)") % {"n": len(bad)}, code="invalid_oid",
                               details={"oids": bad[:50]})
    found = dict(Order.objects.filter(oid__in=any_of(parsed, "uuid")).values_list("oid", "pk"))
    missing = [str(o) for o in parsed if o not in found]
    if missing:
        raise ValidationFailed(_("%(n)d unknown order(s)") % {"n": len(missing)}, code="order_not_found",
                               details={"oids": missing[:50]})
    return list(dict.fromkeys(found[o] for o in parsed))


def outbound_batch_create(*, oids=None, filter: dict | None = None, actor=None,
                          source: str = "api", name: str = "", carrier: str = "",
                          handover: str = HandoverMode.SCAN) -> OutboundBatch:
    """A draft batch from explicit orders or an outbound-queue filter, with its plan."""
    from warehouses.carriers import CARRIERS

    if (oids is None) == (filter is None):
        raise ValidationFailed(_("give either orders or filter"), code="orders_or_filter")
    if carrier and carrier not in CARRIERS:
        raise ValidationFailed(_("unknown carrier %(carrier)r") % {"carrier": carrier}, code="unknown_carrier",
                               details={"allowed": list(CARRIERS)})
    if handover not in HandoverMode.values:
        raise ValidationFailed(_("unknown handover mode %(mode)r") % {"mode": handover}, code="invalid_handover")
    if filter is not None:
        ids = list(selectors.outbound_filter_apply(params=filter).values_list("pk", flat=True)
                   [:MAX_BATCH_ORDERS + 1])
        if not ids:
            raise ValidationFailed(_("the filter selects no order"), code="empty_batch")
    else:
        ids = _resolve_oids(oids)
    if len(ids) > MAX_BATCH_ORDERS:
        raise ValidationFailed(_("a batch holds at most %(n)d orders") % {"n": MAX_BATCH_ORDERS},
                               code="batch_too_large")
    with gc_paused():
        orders = orders_for_batch(ids)
        plans = plan_orders(orders, batch_carrier=carrier)
        user = actor if getattr(actor, "is_authenticated", False) else None
        with transaction.atomic():
            batch = OutboundBatch.objects.create(
                name=name[:128], source=source, filter=filter or {}, carrier=carrier,
                handover=handover, created_by=user, total=len(orders))
            model_copy_many([
                BatchOrder(batch=batch, order=o, plan=plans[o.pk], priority_score=o.priority_score,
                           step=Step.BLOCKED if plans[o.pk]["blockers"] else Step.PLANNED)
                for o in orders])
    return batch
