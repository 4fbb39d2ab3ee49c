"""Approval of waiting orders in batches (what the ``ingest`` actors run).

Every ``paid`` order waits for exactly one thing: the approval rules.  A worker that
evaluates one arriving order therefore also takes the others waiting (up to ``limit``,
oldest first) and moves them together — rules, lines, customers and price floors read
once, the approvals written set-based (``orders_transition_many``: one ``UPDATE``, one
``INSERT`` of events, the hooks' set-based twins).  Holds for review, the rare case, go
one by one through ``order_apply_transition``.  The effect per order is exactly that of
``order_approval_run``.

Orders locked by someone else are skipped (``SKIP LOCKED``): whoever holds them is
changing them, and a paid order always has its own message queued, so none is forgotten.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects

from orders.choices import OrderStatus
from orders.models import Order, OrderLine
from orders.services.transitions import order_apply_transition
from warehouses.models import ApprovalOutcome, PriceFloor

from . import approval
from .outbound.bulk import Move, orders_transition_many

BATCH = 100


def orders_approval_run_many(*, oids=None, limit: int = BATCH, actor=None,
                             source: str = "approval_rules") -> int:
    """Evaluate waiting orders — these ``oids``, or any (``None``) — in one transaction.
    Returns how many were evaluated."""
    with transaction.atomic():
        qs = (Order.objects.select_for_update(of=("self",), skip_locked=True)
              .select_related("shop", "customer").filter(status=OrderStatus.PAID))
        if oids is not None:
            qs = qs.filter(oid__in=list(oids))
        orders = list(qs.order_by("pk")[:limit])
        if not orders:
            return 0
        prefetch_related_objects(orders, Prefetch("lines", queryset=OrderLine.objects.order_by("line_no")))
        skus = {line.sku_id for order in orders for line in order.lines.all() if line.sku_id}
        floors = dict(PriceFloor.objects.filter(sku_id__in=skus).values_list("sku_id", "min_unit_price"))
        rules = approval.approval_rules_active()
        approve, hold = [], []
        for order in orders:
            verdict = approval.approval_verdict(approval.ApprovalFacts(order, prefetched=True, floors=floors), rules)
            payload = {"approval": verdict.as_json()}
            if verdict.outcome == ApprovalOutcome.AUTO_RELEASE:
                approve.append(Move(order=order, payload=payload))
            else:
                hold.append((order, verdict.outcome, payload))
        with approval.applying_verdicts():
            orders_transition_many(moves=approve, name="approve", actor=actor, source=source)
            for order, reason, payload in hold:
                order_apply_transition(order=order, method=order.hold, actor=actor, source=source,
                                       kwargs={"reason": reason}, payload=payload)
    return len(orders)


def orders_approval_sweep(*, oid: str | None = None, limit: int = BATCH) -> int:
    """What an arriving order's message runs: the waiting orders in batches of ``limit``
    (one full batch at most, so one actor never runs for long), then ``oid`` itself if it
    is still waiting (more than ``limit`` older ones were)."""
    done = orders_approval_run_many(limit=limit)
    if oid is not None:
        done += orders_approval_run_many(oids=[oid], limit=1)
    return done
