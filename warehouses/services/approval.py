"""Approval rules, the review queue and the four-eyes second-level review.

A paid order is evaluated as it arrives (``on_status_changed`` → ``paid``): active
:class:`~warehouses.models.ApprovalRule` rows run in priority order and the first that
matches decides — ``auto_release`` → ``approved``; ``review`` / ``second_review`` →
``on_hold`` with that ``hold_reason``.  No match → ``approved``.  Every match is recorded
in the payload of the resulting timeline event.

Second-level review (four eyes): two approvals by two different users.  The first is
recorded as an ``order.review_approved`` event (the order stays on hold); the second,
by another user holding ``orders.approve_order_second_level``, approves.  The same user
twice → ``PermissionDenied(code="four_eyes")`` (403).  Enforced in the service *and* in a
transition guard, so no interface can bypass it.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from core.errors import Conflict, PermissionDenied, TransitionNotAllowed
from orders.choices import HoldReason, OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from orders.services import transitions
from orders.services.events import order_event_record
from orders.services.transitions import order_apply_transition, order_lock, order_transition
from warehouses.models import ApprovalCondition as C
from warehouses.models import ApprovalOutcome, ApprovalRule, PriceFloor

SECOND_LEVEL_PERM = "orders.approve_order_second_level"
REVIEW_REASONS = (HoldReason.REVIEW, HoldReason.SECOND_REVIEW)
DEFAULT_ANOMALY_KEYWORDS = ["测试", "test", "假地址", "不详"]
_local = threading.local()


@dataclass
class ApprovalVerdict:
    outcome: str
    rule: ApprovalRule | None
    matched: list[ApprovalRule] = field(default_factory=list)

    def as_json(self) -> dict:
        def ref(r: ApprovalRule) -> dict:
            return {"id": r.pk, "name": r.name, "condition": r.condition, "outcome": r.outcome}

        return {"outcome": self.outcome, "rule": ref(self.rule) if self.rule else None,
                "matched": [ref(r) for r in self.matched]}


def _address_anomaly(order: Order, params: dict) -> bool:
    if order.receiver_masked:
        return not (order.receiver_province and order.receiver_address)
    address = (order.receiver_address or "").strip()
    if not (order.receiver_province and order.receiver_city and address):
        return True
    if len(address) < int(params.get("min_length", 5)):
        return True
    keywords = params.get("keywords", DEFAULT_ANOMALY_KEYWORDS)
    text = f"{order.receiver_name} {address}".lower()
    return any(str(k).lower() in text for k in keywords)


class ApprovalFacts:
    """Order facts the conditions look at, loaded lazily (a few queries at most)."""

    def __init__(self, order: Order, *, prefetched: bool = False, floors: dict | None = None):
        self.order = order
        if not prefetched:
            prefetch_related_objects([order], Prefetch("lines", queryset=OrderLine.objects.order_by("line_no")))
        self.lines = list(order.lines.all())
        self._floors = floors  # a batch shares the floors of all its SKUs

    def floors(self) -> dict[int, Decimal]:
        if self._floors is None:
            ids = {ln.sku_id for ln in self.lines if ln.sku_id}
            self._floors = dict(PriceFloor.objects.filter(sku_id__in=ids)
                                .values_list("sku_id", "min_unit_price"))
        return self._floors

    def matches(self, rule: ApprovalRule) -> bool:
        order, kind = self.order, rule.condition
        if kind == C.AMOUNT_GTE:
            return rule.threshold is not None and order.paid_amount >= rule.threshold
        if kind == C.CROSS_BORDER:
            return order.cross_border
        if kind == C.PRESALE:
            return order.presale
        if kind == C.BLACKLISTED:
            return order.customer_id is not None and order.customer.blacklisted
        if kind == C.ADDRESS_ANOMALY:
            return _address_anomaly(order, rule.params or {})
        if kind == C.UNKNOWN_SKU:
            return any(ln.sku_id is None for ln in self.lines)
        if kind == C.BELOW_PRICE_FLOOR:
            floors = self.floors()
            return any(ln.sku_id in floors and ln.unit_price < floors[ln.sku_id] for ln in self.lines)
        if kind == C.BUYER_MESSAGE:
            return bool((order.buyer_message or "").strip())
        return False


def approval_rules_active() -> list[ApprovalRule]:
    return list(ApprovalRule.objects.filter(active=True).order_by("priority", "id"))


def approval_evaluate(*, order: Order) -> ApprovalVerdict:
    """Which outcome the rules give ``order`` (reads only)."""
    return approval_verdict(ApprovalFacts(order), approval_rules_active())


def approval_verdict(facts: ApprovalFacts, rules: list[ApprovalRule]) -> ApprovalVerdict:
    matched = [r for r in rules if facts.matches(r)]
    if not matched:
        return ApprovalVerdict(outcome=ApprovalOutcome.AUTO_RELEASE, rule=None)
    return ApprovalVerdict(outcome=matched[0].outcome, rule=matched[0], matched=matched)


def order_approval_apply(*, order: Order, actor=None, source: str = "approval_rules") -> Order:
    """Evaluate a *locked* paid order and move it: approve, or hold for (second) review."""
    verdict = approval_evaluate(order=order)
    with applying_verdicts():
        return _apply_verdict(order, verdict, actor, source)


@contextmanager
def applying_verdicts():
    """While verdicts are applied, a ``paid`` transition does not queue another evaluation."""
    _local.active = True
    try:
        yield
    finally:
        _local.active = False


def _apply_verdict(order: Order, verdict: ApprovalVerdict, actor, source: str) -> Order:
    payload = {"approval": verdict.as_json()}
    if verdict.outcome == ApprovalOutcome.AUTO_RELEASE:
        return order_apply_transition(order=order, method=order.approve, actor=actor,
                                      source=source, payload=payload)
    return order_apply_transition(order=order, method=order.hold, actor=actor, source=source,
                                  kwargs={"reason": verdict.outcome}, payload=payload)


def order_approval_run(*, oid, actor=None, source: str = "approval_rules") -> Order | None:
    """Evaluate the order ``oid`` if it is still ``paid`` (idempotent; the actor calls it)."""
    with transaction.atomic():
        order = order_lock(oid=oid)
        if order.status != OrderStatus.PAID:
            return None
        return order_approval_apply(order=order, actor=actor, source=source)


def approve_for_status_change(*, order: Order, from_status, to_status, actor, source) -> None:
    """``on_status_changed`` handler: evaluate paid orders as they arrive.

    It runs inside the ingest transaction, so it only asks for an evaluation after the
    commit (``approval_batch``: one coalesced message runs every waiting order): ingest
    stays short, the rules never see uncommitted data, and the transition the evaluation
    makes cannot re-enter this hook inside the same transaction.  The thread-local flag
    additionally makes any synchronous re-entry (a ``paid`` transition made while
    evaluating) a no-op.
    """
    if to_status == OrderStatus.PAID and not getattr(_local, "active", False):
        _kick_on_commit()


def approve_for_status_change_many(changes, *, actor, source) -> None:
    """Set-based twin of ``approve_for_status_change``."""
    if not getattr(_local, "active", False) and any(c.to_status == OrderStatus.PAID for c in changes):
        _kick_on_commit()


def _kick_on_commit() -> None:
    from .approval_batch import approvals_kick

    connection = transaction.get_connection()
    if any(entry[1] is approvals_kick for entry in connection.run_on_commit):
        return  # one request per transaction
    transaction.on_commit(approvals_kick)


# ------------------------------------------------------------------ review queue


def _review_approvals(order: Order) -> list[OrderEvent]:
    """First-level approvals given since the order last went on hold."""
    held = (OrderEvent.objects.filter(order=order, type="order.on_hold")
            .order_by("-id").values_list("id", flat=True).first()) or 0
    return list(OrderEvent.objects.filter(order=order, type="order.review_approved", id__gt=held)
                .select_related("actor").order_by("id"))


def _four_eyes(order: Order, actor) -> list[OrderEvent]:
    """Refuse a second approval by the same user; return the approvals so far."""
    approvals = _review_approvals(order)
    if any(a.actor_id == actor.pk for a in approvals):
        raise PermissionDenied(_("a second-level review needs two different people"),
                               code="four_eyes")
    if approvals and not actor.has_perm(SECOND_LEVEL_PERM):
        raise PermissionDenied(_("the second approval needs the second-level permission"),
                               code="second_level_permission")
    return approvals


def _record_first(order: Order, actor, source: str, note: str) -> Order:
    order_event_record(order=order, type="order.review_approved", actor=actor, source=source,
                       payload={"level": 1, "note": note, "needs": "second approval by another user"})
    return order


def order_review_approve(*, oid, actor, source: str = "admin", note: str = "") -> Order:
    """Approve a held order on behalf of ``actor``; second-level review takes two people."""
    with transaction.atomic():
        order = order_lock(oid=oid)
        if not can_proceed(order.approve):
            raise TransitionNotAllowed(_("cannot %(name)s an order in status %(status)s")
                                       % {"name": "approve", "status": order.status},
                                       details={"status": order.status, "transition": "approve"})
        if not has_transition_perm(order.approve, actor):
            raise TransitionNotAllowed(_("you may not %(name)s orders") % {"name": "approve"},
                                       details={"status": order.status, "reason": "permission"})
        payload = {}
        if order.hold_reason == HoldReason.SECOND_REVIEW:
            approvals = _four_eyes(order, actor)
            if not approvals:
                return _record_first(order, actor, source, note)
            order_event_record(order=order, type="order.review_approved", actor=actor,
                               source=source, payload={"level": 2, "note": note})
            payload = {"approvals": [a.actor.get_username() if a.actor else None for a in approvals]
                       + [actor.get_username()]}
        return order_apply_transition(order=order, method=order.approve, actor=actor,
                                      source=source, note=note, payload=payload)


def order_review_reject(*, oid, actor, source: str = "admin", note: str = "") -> Order:
    """Reject a held order: it is cancelled (stock, if any, is released)."""
    return order_transition(oid=oid, name="cancel", actor=actor, source=source,
                            note=f"rejected in review{': ' + note if note else ''}")


def four_eyes_guard(*, order: Order, name: str, actor, params: dict):
    """Transition guard for the public ``approve`` and ``release`` (API, admin buttons)
    of second-level review orders.  The system (``actor=None``) is trusted.

    * a person approving a still-``paid`` order the rules would send to second-level
      review → 409 ``second_review_required``;
    * the same user again → 403 ``four_eyes``;
    * a second approval without the second-level permission → 403;
    * no approval yet: recorded as the first one when ``orders.services.transitions``
      lets a guard complete the request (``GUARDS_MAY_HANDLE``; the guard returns the
      order); otherwise 409 ``first_approval_required`` — the first approval is then
      given with ``POST /api/v1/reviews/<oid>/approve/`` or in the admin review queue.
    """
    if name not in ("approve", "release") or actor is None:
        return None
    if order.status == OrderStatus.PAID:
        # Approved by hand before the rules ran: the rules still may not be skipped.
        if approval_evaluate(order=order).outcome == ApprovalOutcome.SECOND_REVIEW:
            raise Conflict(_("this order needs a second-level review; wait for the approval "
                             "rules to hold it"), code="second_review_required")
        return None
    if order.hold_reason != HoldReason.SECOND_REVIEW:
        return None
    approvals = _four_eyes(order, actor)
    if approvals:
        order_event_record(order=order, type="order.review_approved", actor=actor, source="api",
                           payload={"level": 2})
        return None
    if getattr(transitions, "GUARDS_MAY_HANDLE", False):
        return _record_first(order, actor, "api", "")
    raise Conflict(
        _("a second-level review needs a first approval: POST /api/v1/reviews/<oid>/approve/ "
          "or the admin review queue"), code="first_approval_required",
    )
