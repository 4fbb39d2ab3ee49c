"""Approval of waiting orders in batches (what the ``ingest`` actors run).

Every ``paid`` order waits for exactly one thing: the approval rules.  A worker that
evaluates one arriving order therefore also takes the others waiting (up to ``limit``,
oldest first) and moves them together — rules, lines, customers and price floors read
once, the approvals written set-based (``orders_transition_many``: one ``UPDATE``, one
``INSERT`` of events, the hooks' set-based twins).  Holds for review, the rare case, go
one by one through ``order_apply_transition``.  The effect per order is exactly that of
``order_approval_run``.

Orders locked by someone else are skipped (``SKIP LOCKED``): whoever holds them is
changing them.  A commit that leaves an order ``paid`` asks for a run
(``approvals_kick``, coalesced: a burst of arriving orders queues one message); the
run takes batches until none is waiting, and a scheduled run every 30 s picks up
anything a lost message or a skipped lock left behind.
"""

from __future__ import annotations

import time

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects

from core.coalesce import coalesced_send, coalesced_started
from orders.choices import OrderStatus
from orders.models import Order, OrderLine
from orders.services.transitions import order_apply_transition
from warehouses.models import ApprovalOutcome, PriceFloor

from . import approval
from .outbound.bulk import Move, orders_transition_many

BATCH = 100
KICK = "approvals"
RUN_BUDGET_SECONDS = 20.0


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


def approvals_kick() -> None:
    """Ask a worker to evaluate the waiting orders (after a commit; coalesced)."""
    from warehouses.tasks import orders_approval_sweep_task

    coalesced_send(orders_approval_sweep_task, name=KICK)


def orders_approval_drain() -> int:
    """What the queued run does: batches until no order waits (or the time budget is
    spent — then it asks for another run)."""
    coalesced_started(KICK)
    started, done = time.monotonic(), 0
    while True:
        n = orders_approval_run_many(limit=BATCH)
        done += n
        if n < BATCH:
            return done
        if time.monotonic() - started > RUN_BUDGET_SECONDS:
            approvals_kick()
            return done


def orders_approval_sweep(*, oid: str | None = None, limit: int = BATCH) -> int:
    """What an arriving order's message runs: the waiting orders in batches of ``limit``
    (one full batch at most, so one actor never runs for long), then ``oid`` itself if it
    is still waiting (more than ``limit`` older ones were)."""
    done = orders_approval_run_many(limit=limit)
    if oid is not None:
        done += orders_approval_run_many(oids=[oid], limit=1)
    return done
