"""The relay's rows: claim, give back, record — each a set-based statement for a whole batch.

Per delivery the relay used to pay a claim share, an ORM ``bulk_update`` (a ``CASE`` per
column) and a four-round-trip transaction for its result.  Here a batch costs one claim
statement (lock + mark ``sending`` + read everything needed to send, in one round trip),
one statement storing the bodies built at the first attempt, and one statement recording
the results (state of every delivery and its attempt rows together).  Statements that run
outside ``transaction.atomic`` are atomic on their own (autocommit).

Per-order order: a claim takes the *head* of each (subscription, order) queue and the
deliveries right behind it when they are due and this same statement locks them too (a
chain).  The relay sends a chain in ``seq`` order and gives the rest of a chain back as soon
as one of its deliveries is not finished (retry, rate limit, open circuit), so a later event
is never sent before an earlier one succeeded or was dead-lettered.  A delivery whose
earlier open delivery is held by someone else (another worker, a concurrent claim) is not
taken (the second ``NOT EXISTS`` below, checked after the locks were taken).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from ..models import DeliveryStatus

S = DeliveryStatus

CLAIM_SQL = """
WITH cand AS (
  SELECT d.id, d.subscription_id, d.oid, d.seq
  FROM subscribers_delivery d
  JOIN subscribers_subscription s ON s.id = d.subscription_id
  WHERE d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()
    AND s.active AND (s.breaker_open_until IS NULL OR s.breaker_open_until <= clock_timestamp())
    AND NOT (d.subscription_id = ANY(%(skip)s))
    AND NOT EXISTS (
      SELECT 1 FROM subscribers_delivery e
      WHERE e.subscription_id = d.subscription_id AND e.oid = d.oid AND e.seq < d.seq
        AND (e.status = 'sending'
             OR (e.status = 'pending' AND e.next_attempt_at > clock_timestamp())))
  ORDER BY d.next_attempt_at, d.seq
  LIMIT %(limit)s
  FOR UPDATE OF d SKIP LOCKED
), picked AS (
  SELECT c.id FROM cand c
  WHERE NOT EXISTS (
    SELECT 1 FROM subscribers_delivery e
    WHERE e.subscription_id = c.subscription_id AND e.oid = c.oid AND e.seq < c.seq
      AND e.status IN ('pending', 'sending') AND e.id NOT IN (SELECT id FROM cand))
), claimed AS (
  UPDATE subscribers_delivery d
  SET status = 'sending', attempts = d.attempts + 1,
      lease_until = clock_timestamp()
        + make_interval(secs => (COALESCE(c.timeout_seconds, 10) + %(margin)s)::float8)
  FROM picked p, subscribers_subscription s
  LEFT JOIN subscribers_contract c ON c.id = s.contract_id
  WHERE d.id = p.id AND s.id = d.subscription_id
  RETURNING d.id, d.attempts, d.attempt_limit, d.subscription_id, d.oid, d.seq, d.event_type,
            d.body, d.event_id
)
SELECT cl.id, cl.attempts, cl.attempt_limit, cl.subscription_id, cl.oid, cl.seq,
       cl.event_type, cl.body, s.url, s.secret, s.consecutive_failures, s.contract_id,
       COALESCE(c.timeout_seconds, 10)::float8, c.max_requests_per_second,
       e.event_id, e.type, e.occurred_at, e.oid, CASE WHEN cl.body = '' THEN e.data END
FROM claimed cl
JOIN subscribers_subscription s ON s.id = cl.subscription_id
LEFT JOIN subscribers_contract c ON c.id = s.contract_id
JOIN subscribers_outboxevent e ON e.id = cl.event_id
ORDER BY cl.seq
"""

BODIES_SQL = """
UPDATE subscribers_delivery d SET body = v.body
FROM unnest(%s::uuid[], %s::text[]) AS v(id, body)
WHERE d.id = v.id AND d.status = 'sending'
"""

UNCLAIM_SQL = """
UPDATE subscribers_delivery d
SET status = 'pending', attempts = v.attempt - 1, lease_until = NULL,
    next_attempt_at = clock_timestamp() + make_interval(secs => v.wait)
FROM unnest(%s::uuid[], %s::int[], %s::float8[]) AS v(id, attempt, wait)
WHERE d.id = v.id AND d.status = 'sending' AND d.attempts = v.attempt
"""

# The attempt row is written even when the delivery moved on meanwhile (lease expired and
# re-queued): the log shows every request that was made.
RECORD_SQL = """
WITH v AS (
  SELECT * FROM unnest(%s::uuid[], %s::int[], %s::text[], %s::int[], %s::text[], %s::text[],
                       %s::timestamptz[], %s::timestamptz[], %s::timestamptz[], %s::int[],
                       %s::text[])
    AS v(id, attempt, outcome, code, last_error, error, next_at, finished_at, started_at,
         duration_ms, excerpt)
), upd AS (
  UPDATE subscribers_delivery d
  SET status = v.outcome, last_status_code = v.code, last_error = v.last_error,
      lease_until = NULL, next_attempt_at = COALESCE(v.next_at, d.next_attempt_at),
      finished_at = v.finished_at
  FROM v WHERE d.id = v.id AND d.status = 'sending' AND d.attempts = v.attempt
)
INSERT INTO subscribers_deliveryattempt
  (delivery_id, number, started_at, duration_ms, status_code, outcome, response_excerpt, error)
SELECT id, attempt, started_at, duration_ms, code, outcome, excerpt, error FROM v
"""

NEXT_DUE_SQL = """
SELECT min(GREATEST(d.next_attempt_at, COALESCE(s.breaker_open_until, d.next_attempt_at)))
FROM subscribers_delivery d
JOIN subscribers_subscription s ON s.id = d.subscription_id
WHERE d.status = 'pending' AND s.active
  AND NOT EXISTS (
    SELECT 1 FROM subscribers_delivery e
    WHERE e.subscription_id = d.subscription_id AND e.oid = d.oid AND e.seq < d.seq
      AND e.status IN ('pending', 'sending'))
"""

CLAIMABLE_SQL = """
SELECT EXISTS (
  SELECT 1 FROM subscribers_delivery d
  JOIN subscribers_subscription s ON s.id = d.subscription_id
  WHERE d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()
    AND s.active AND (s.breaker_open_until IS NULL OR s.breaker_open_until <= clock_timestamp())
    AND NOT EXISTS (
      SELECT 1 FROM subscribers_delivery e
      WHERE e.subscription_id = d.subscription_id AND e.oid = d.oid AND e.seq < d.seq
        AND e.status IN ('pending', 'sending')))
"""


@dataclass(frozen=True)
class Claimed:
    """One claimed row as read by ``CLAIM_SQL`` (event columns only when no body yet)."""

    delivery_id: object
    attempt: int
    attempt_limit: int
    subscription_id: int
    oid: object
    seq: int
    event_type: str
    body: str
    url: str
    secret: str
    failures_before: int
    contract_id: int | None
    timeout: float
    rate: int | None
    event_id: object
    type: str
    occurred_at: object
    event_oid: object
    data: object  # jsonb text (Django loads jsonb as text) or None when the body exists


@dataclass(frozen=True)
class Record:
    """The result of one attempt, as ``RECORD_SQL`` stores it."""

    delivery_id: object
    attempt: int
    outcome: str
    status_code: int | None
    last_error: str
    error: str
    next_attempt_at: object
    finished_at: object
    started_at: object
    duration_ms: int
    excerpt: str


def rows_claim(*, limit: int, skip_subscriptions, margin: float) -> list[Claimed]:
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, {"skip": list(skip_subscriptions), "limit": limit,
                                   "margin": margin})
        return [Claimed(*row) for row in cursor.fetchall()]


def bodies_store(bodies: dict) -> None:
    if bodies:
        with connection.cursor() as cursor:
            cursor.execute(BODIES_SQL, [list(bodies), list(bodies.values())])


def rows_unclaim(items) -> None:
    """Give claimed rows back untouched: ``items`` = [(delivery_id, attempt, wait_seconds)]."""
    if items:
        ids, attempts, waits = zip(*items, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(UNCLAIM_SQL, [list(ids), list(attempts), [float(w) for w in waits]])


def rows_record(records: list[Record]) -> None:
    if not records:
        return
    columns = list(zip(*((r.delivery_id, r.attempt, r.outcome, r.status_code, r.last_error,
                          r.error, r.next_attempt_at, r.finished_at, r.started_at,
                          r.duration_ms, r.excerpt) for r in records), strict=True))
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SQL, [list(c) for c in columns])


def breaker_failures_add(subscription_id: int, count: int) -> int:
    """Add ``count`` failures in a row; return the new count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE subscribers_subscription SET consecutive_failures = consecutive_failures + %s"
            " WHERE id = %s RETURNING consecutive_failures", [count, subscription_id])
        row = cursor.fetchone()
    return row[0] if row else 0


def rows_claimable() -> bool:
    """Is any head-of-queue delivery due and not held by anyone right now?"""
    with connection.cursor() as cursor:
        cursor.execute(CLAIMABLE_SQL)
        return cursor.fetchone()[0]


def rows_due() -> bool:
    """Is any pending delivery due?  (Cheap: the lingering relay's poll.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM subscribers_delivery WHERE status = 'pending'"
                       " AND next_attempt_at <= clock_timestamp())")
        return cursor.fetchone()[0]
