"""Priority scoring matrix.

Every eligible order (``SCORED_STATUSES``) carries ``priority_score`` and
``priority_breakdown`` — a list of ``{factor, points, label}`` whose points sum to the
score, e.g. ``[{"factor": "customer_level", "points": 30, "label": "vip +30"}, ...]``.

Scoring is one set-based SQL statement: an ``UPDATE … FROM (SELECT … CASE …)`` that
computes every factor with CASE expressions and builds the breakdown with
``jsonb_build_object``.  The same statement, narrowed to one id, scores a single new
order, so the per-order and the bulk results can never disagree.  Time-dependent
factors (ship-by, age) move with the clock: a scheduled task rescoring every few
minutes keeps them current (``warehouses.tasks``).

Policies are versioned: :func:`scoring_policy_publish` saves a new version, makes it
active and rescoring runs (on commit, in a worker); :func:`scoring_policy_activate`
goes back to an older version.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from orders.choices import OrderStatus
from orders.models import Order
from warehouses.models import ScoringPolicy

SCORED_STATUSES = (OrderStatus.PAID, OrderStatus.ON_HOLD, OrderStatus.APPROVED,
                   OrderStatus.ALLOCATED)
WEIGHT_FIELDS = ("vip", "gold", "silver", "due_2h", "due_24h", "cold_chain", "high_value",
                 "presale", "age_per_hour", "age_max", "amount_per_100", "amount_max")


def scoring_policy_active() -> ScoringPolicy:
    """The active version (an unsaved default when none was ever published)."""
    return ScoringPolicy.objects.filter(active=True).first() or ScoringPolicy(version=0)


POLICY_CACHE_SECONDS = 2.0
_policy_cache: list = [0.0, None]  # [read at (monotonic), policy]


def _policy_for_new_orders() -> ScoringPolicy:
    """The active version as read at most ``POLICY_CACHE_SECONDS`` ago in this process.

    Scoring arriving orders must not cost a query each.  A version published meanwhile in
    another process reaches new orders within that time; any order scored with the older
    version just before is rescored by the rescoring that every publication starts (and
    by the periodic rescoring).  Publishing in this process clears the cache on commit.
    """
    read_at, cached = _policy_cache
    now = time.monotonic()
    if cached is None or now - read_at > POLICY_CACHE_SECONDS:
        cached = scoring_policy_active()
        _policy_cache[:] = [now, cached]
    return cached


def _forget_policy() -> None:
    _policy_cache[:] = [0.0, None]


def _signed(points: str) -> str:
    """SQL text of a points expression with an explicit sign: '+30', '-10'."""
    return f"(CASE WHEN ({points}) >= 0 THEN '+' ELSE '' END || ({points})::text)"


def _item(factor: str, points: str, label: str) -> str:
    """A one-element jsonb array for a non-zero factor, '[]' otherwise."""
    return (f"(CASE WHEN ({points}) <> 0 THEN jsonb_build_array(jsonb_build_object("
            f"'factor', '{factor}', 'points', ({points}), 'label', {label} || ' ' || {_signed(points)}"
            f")) ELSE '[]'::jsonb END)")


# (factor, points expression over the scored row ``s``, label expression)
_FACTORS = [
    ("customer_level", "s.p_level", "s.level"),
    ("ship_by", "s.p_due", "s.due_label"),
    ("cold_chain", "s.p_cold", "'cold chain'"),
    ("high_value", "s.p_high", "'high value'"),
    ("presale", "s.p_presale", "'presale'"),
    ("age", "s.p_age", "'waiting ' || s.age_hours::text || ' h'"),
    ("paid_amount", "s.p_amount", "'paid ¥' || s.paid_amount::text"),
]

_SCORED_ROWS = """
SELECT o.id,
       COALESCE(c.level, 'normal') AS level,
       o.paid_amount,
       CASE c.level WHEN 'vip' THEN %(vip)s WHEN 'gold' THEN %(gold)s
                    WHEN 'silver' THEN %(silver)s ELSE 0 END AS p_level,
       CASE WHEN o.promised_ship_by IS NULL THEN 0
            WHEN o.promised_ship_by <= %(now)s + interval '2 hours' THEN %(due_2h)s
            WHEN o.promised_ship_by <= %(now)s + interval '24 hours' THEN %(due_24h)s
            ELSE 0 END AS p_due,
       CASE WHEN o.promised_ship_by < %(now)s THEN 'overdue'
            WHEN o.promised_ship_by <= %(now)s + interval '2 hours' THEN 'ships within 2 h'
            ELSE 'ships within 24 h' END AS due_label,
       CASE WHEN EXISTS (SELECT 1 FROM orders_orderline l JOIN orders_sku k ON k.id = l.sku_id
                         WHERE l.order_id = o.id AND k.cold_chain)
            THEN %(cold_chain)s ELSE 0 END AS p_cold,
       CASE WHEN EXISTS (SELECT 1 FROM orders_orderline l JOIN orders_sku k ON k.id = l.sku_id
                         WHERE l.order_id = o.id AND k.high_value)
            THEN %(high_value)s ELSE 0 END AS p_high,
       CASE WHEN o.presale THEN %(presale)s ELSE 0 END AS p_presale,
       a.age_hours,
       LEAST(%(age_max)s, FLOOR(a.age_hours * %(age_per_hour)s))::int AS p_age,
       LEAST(%(amount_max)s, FLOOR(o.paid_amount / 100 * %(amount_per_100)s))::int AS p_amount
FROM {source}
LEFT JOIN orders_customer c ON c.id = o.customer_id
CROSS JOIN LATERAL (
    SELECT GREATEST(0, FLOOR(EXTRACT(EPOCH FROM (%(now)s - COALESCE(o.paid_at, o.created_at)))
                             / 3600))::int AS age_hours
) a
WHERE {where}
{fence}
"""

_UPDATE = """
UPDATE orders_order AS o
SET priority_score = s.p_level + s.p_due + s.p_cold + s.p_high + s.p_presale + s.p_age + s.p_amount,
    priority_breakdown = {breakdown}
FROM ({rows}) AS s
WHERE o.id = s.id
{returning}
"""


def _sql(where: str, returning: bool, *, by_ids: bool = False) -> str:
    """The scoring ``UPDATE``; ``by_ids``: only the orders of ``%(ids)s``.

    For a few orders by id the rows are driven from ``unnest(ids)`` and fenced
    (``OFFSET 0``): each factor is computed once per row instead of once per reference,
    which more than halves planning — and the unnest keeps the plan on primary keys even
    where the tables have no statistics yet (a fenced plain scan did not).
    """
    breakdown = " || ".join(_item(*f) for f in _FACTORS)
    source = ("unnest(%(ids)s::bigint[]) AS x(id) JOIN orders_order o ON o.id = x.id"
              if by_ids else "orders_order o")
    rows = _SCORED_ROWS.format(source=source, where=where, fence="OFFSET 0" if by_ids else "")
    return _UPDATE.format(breakdown=breakdown, rows=rows,
                          returning="RETURNING o.id, o.priority_score, o.priority_breakdown" if returning else "")


def _params(policy: ScoringPolicy, now: datetime) -> dict:
    params = {name: getattr(policy, name) for name in WEIGHT_FIELDS}
    params["now"] = now
    return params


def orders_rescore(*, policy: ScoringPolicy | None = None, now: datetime | None = None) -> int:
    """Rescore every eligible order in ONE ``UPDATE`` statement; returns the row count."""
    policy = policy or scoring_policy_active()
    params = _params(policy, now or timezone.now())
    params["statuses"] = list(SCORED_STATUSES)
    with connection.cursor() as cursor:
        cursor.execute(_sql("o.status = ANY(%(statuses)s)", returning=False), params)
        return cursor.rowcount


def order_score(*, order: Order, policy: ScoringPolicy | None = None,
                now: datetime | None = None) -> Order:
    """Score one order with the same statement and refresh the in-memory fields
    (so a later ``save()`` of this instance keeps the new score)."""
    orders_score(orders=[order], policy=policy, now=now)
    return order


def orders_score(*, orders: list[Order], policy: ScoringPolicy | None = None,
                 now: datetime | None = None) -> None:
    """Score these orders with the same statement (one for all) and refresh their
    in-memory fields."""
    if not orders:
        return
    policy = policy or _policy_for_new_orders()
    params = _params(policy, now or timezone.now())
    params["ids"] = [order.pk for order in orders]
    with connection.cursor() as cursor:
        cursor.execute(_sql("TRUE", returning=True, by_ids=True), params)
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    for order in orders:
        if order.pk not in rows:
            continue
        score, breakdown = rows[order.pk]
        order.priority_score = Decimal(score)
        if isinstance(breakdown, str):
            breakdown = json.loads(breakdown)
        order.priority_breakdown = breakdown


def scoring_policy_publish(*, values: dict, actor=None, note: str = "",
                           rescore: str = "async") -> ScoringPolicy:
    """Save ``values`` (weights) as a new active version; rescoring follows.

    ``rescore``: ``"async"`` (worker, after commit), ``"now"`` (same transaction) or
    ``"no"``.
    """
    with transaction.atomic():
        list(ScoringPolicy.objects.select_for_update().all())  # serialise publishers
        version = (ScoringPolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        ScoringPolicy.objects.filter(active=True).update(active=False)
        user = actor if getattr(actor, "is_authenticated", False) else None
        weights = {k: v for k, v in values.items() if k in WEIGHT_FIELDS}
        policy = ScoringPolicy.objects.create(version=version, active=True, note=note,
                                              created_by=user, **weights)
        _after_activation(policy, rescore)
    return policy


def scoring_policy_activate(*, policy: ScoringPolicy, actor=None, rescore: str = "async") -> ScoringPolicy:
    """Make an older version active again; rescoring follows."""
    with transaction.atomic():
        list(ScoringPolicy.objects.select_for_update().all())
        ScoringPolicy.objects.filter(active=True).exclude(pk=policy.pk).update(active=False)
        ScoringPolicy.objects.filter(pk=policy.pk).update(active=True)
        policy.active = True
        _after_activation(policy, rescore)
    return policy


def _after_activation(policy: ScoringPolicy, rescore: str) -> None:
    _forget_policy()
    transaction.on_commit(_forget_policy)
    if rescore == "now":
        orders_rescore(policy=policy)
    elif rescore == "async":
        from core.tasks_util import enqueue_on_commit
        from warehouses.tasks import orders_rescore_task

        enqueue_on_commit(orders_rescore_task)


def score_for_status_change(*, order: Order, from_status, to_status, actor, source) -> None:
    """``on_status_changed`` handler: an order entering the eligible set gets its score."""
    if to_status in SCORED_STATUSES and from_status not in SCORED_STATUSES:
        order_score(order=order)


def score_for_status_change_many(changes, *, actor, source) -> None:
    """Set-based twin of ``score_for_status_change`` (one statement for all orders)."""
    orders_score(orders=[c.order for c in changes
                         if c.to_status in SCORED_STATUSES and c.from_status not in SCORED_STATUSES])
