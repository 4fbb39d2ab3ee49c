"""The relay: claim → commit → send → record.  No network I/O while a row lock is held.

* Claim: one statement picks due deliveries with ``FOR UPDATE SKIP LOCKED`` (workers never
  wait for each other) and only the *head* of each (subscription, order) queue — a later
  event of an order is not sent while an earlier one is pending or in flight.  Claimed
  rows become ``sending`` with a lease; the transaction commits before anything is sent.
* Send: outside any transaction, after the contract's shared rate limit allows it.
* Record: the attempt row and the new state in one short transaction.  A worker that dies
  mid-send leaves a ``sending`` row whose lease expires; the sweeper puts it back
  (at least once — receivers dedupe by event id).
* Circuit breaker per subscription: N retryable failures in a row pause that endpoint
  (its rows are simply not claimed), so one dead endpoint does not hold the workers.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import redis
from django.db import connection, transaction
from django.utils import timezone

from ..models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription
from ..policy import policy
from ..signing import signature_for
from .body import delivery_body_build
from .contracts import ContractViolation
from .http import HttpResult, http_post_now
from .ratelimit import rate_acquire

logger = logging.getLogger(__name__)
S = DeliveryStatus
RETRYABLE_4XX = (408, 429)

CLAIM_SQL = """
SELECT d.id
FROM subscribers_delivery d
JOIN subscribers_subscription s ON s.id = d.subscription_id
WHERE d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()
  AND s.active AND (s.breaker_open_until IS NULL OR s.breaker_open_until <= clock_timestamp())
  AND NOT (d.subscription_id = ANY(%s))
  AND NOT EXISTS (
    SELECT 1 FROM subscribers_delivery e
    WHERE e.subscription_id = d.subscription_id AND e.oid = d.oid AND e.seq < d.seq
      AND e.status IN ('pending', 'sending'))
ORDER BY d.next_attempt_at, d.seq
LIMIT %s
FOR UPDATE OF d SKIP LOCKED
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


@dataclass(frozen=True)
class Job:
    """Everything needed to send one claimed delivery without touching the database."""

    delivery_id: object
    attempt: int
    attempt_limit: int
    subscription_id: int
    failures_before: int
    url: str
    secret: str
    event_type: str
    body: str
    timeout: float
    contract_id: int | None
    rate: int | None


def _refuse(delivery: Delivery, exc: ContractViolation, now) -> None:
    delivery.attempts += 1
    Delivery.objects.filter(pk=delivery.pk).update(
        status=S.REFUSED, attempts=delivery.attempts, last_error=exc.message,
        finished_at=now, lease_until=None,
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, started_at=now, outcome=S.REFUSED,
        error=f"{exc.code}: {exc.message}",
    )
    logger.warning("delivery %s refused before sending: %s", delivery.pk, exc.message)


def deliveries_claim(*, limit: int | None = None, skip_subscriptions=()) -> list[Job]:
    """Claim up to ``limit`` due head-of-queue deliveries; commit before returning."""
    return _claim(limit=limit, skip_subscriptions=skip_subscriptions)[0]


def _claim(*, limit, skip_subscriptions) -> tuple[list[Job], int]:
    """(jobs to send, rows settled without sending — refused by their contract)."""
    limit = limit or policy("batch_size")
    threshold = policy("breaker_threshold")
    margin = policy("lease_margin")
    jobs: list[Job] = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL, [list(skip_subscriptions), limit])
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return [], 0
        rows = (Delivery.objects.filter(pk__in=ids)
                .select_related("event", "subscription", "subscription__contract")
                .order_by("next_attempt_at", "seq"))
        now = timezone.now()
        probing: set[int] = set()
        refused = 0
        claimed: list[Delivery] = []
        for delivery in rows:
            sub = delivery.subscription
            if sub.consecutive_failures >= threshold:
                # Half-open circuit: one probe per subscription; the rest stay pending.
                if sub.pk in probing:
                    continue
                probing.add(sub.pk)
            if not delivery.body:
                try:
                    delivery.body = delivery_body_build(delivery)
                except ContractViolation as exc:
                    _refuse(delivery, exc, now)
                    refused += 1
                    continue
            contract = sub.contract
            timeout = float(contract.timeout_seconds if contract else Decimal(10))
            delivery.status = S.SENDING
            delivery.attempts += 1
            delivery.lease_until = now + timedelta(seconds=timeout + margin)
            claimed.append(delivery)
            jobs.append(Job(
                delivery_id=delivery.pk, attempt=delivery.attempts,
                attempt_limit=delivery.attempt_limit, subscription_id=sub.pk,
                failures_before=sub.consecutive_failures, url=sub.url, secret=sub.secret,
                event_type=delivery.event_type, body=delivery.body, timeout=timeout,
                contract_id=contract.pk if contract else None,
                rate=contract.max_requests_per_second if contract else None,
            ))
        Delivery.objects.bulk_update(claimed, ["status", "attempts", "lease_until", "body"])
    return jobs, refused


def delivery_unclaim(job: Job, *, wait: float) -> None:
    """Give a claimed delivery back untouched (rate limit said "not yet")."""
    Delivery.objects.filter(pk=job.delivery_id, status=S.SENDING, attempts=job.attempt).update(
        status=S.PENDING, attempts=job.attempt - 1, lease_until=None,
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
    )


def delivery_send_now(job: Job) -> HttpResult:
    """POST the stored body, signed for this attempt.  Signed bytes = sent bytes."""
    from ..writeback import SCHEME, platform_writeback_now

    if job.url.startswith(SCHEME):
        return platform_writeback_now(url=job.url, body=job.body)
    body = job.body.encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "X-Liuzhuan-Event": job.event_type,
        "X-Liuzhuan-Delivery": str(job.delivery_id),
        "X-Liuzhuan-Timestamp": timestamp,
        "X-Liuzhuan-Signature": signature_for(job.secret, timestamp, body),
        "X-Liuzhuan-Attempt": str(job.attempt),
    }
    return http_post_now(url=job.url, body=body, headers=headers, timeout=job.timeout)


def _backoff(attempt: int, retry_after: float | None) -> float:
    delay = min(policy("backoff_max"), policy("backoff_base") * 2 ** (attempt - 1))
    delay *= random.uniform(0.5, 1.0)  # jitter: retries of many deliveries spread out
    if retry_after:
        delay = max(delay, min(retry_after, policy("backoff_max")))
    return delay


def _outcome(result: HttpResult, job: Job) -> str:
    code = result.status
    if code is not None and 200 <= code < 300:
        return S.SUCCEEDED
    if code is not None and code < 500 and code not in RETRYABLE_4XX:
        return S.FAILED  # the receiver refused this request; repeating it cannot help
    return S.DEAD if job.attempt >= job.attempt_limit else S.PENDING


def _breaker_failure(subscription_id: int, now) -> bool:
    """Count one more failure in a row; open the circuit at the threshold (True if open)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE subscribers_subscription SET consecutive_failures = consecutive_failures + 1"
            " WHERE id = %s RETURNING consecutive_failures", [subscription_id])
        row = cursor.fetchone()
    failures = row[0] if row else 0
    threshold = policy("breaker_threshold")
    if failures >= threshold:
        cooldown = min(policy("breaker_cooldown_max"),
                       policy("breaker_cooldown") * 2 ** min(failures - threshold, 10))
        Subscription.objects.filter(pk=subscription_id).update(
            breaker_open_until=now + timedelta(seconds=cooldown))
        return True
    return False


def delivery_record(job: Job, result: HttpResult, *, started_at) -> tuple[str, bool]:
    """Store the attempt and the new state; return (outcome, circuit now open)."""
    opened = False
    outcome = _outcome(result, job)
    now = timezone.now()
    error = result.error
    if outcome == S.FAILED:
        error = error or f"HTTP {result.status}: not retried"
    elif outcome in (S.PENDING, S.DEAD) and not error:
        error = f"HTTP {result.status}"
    fields = {"status": outcome, "last_status_code": result.status, "last_error": error,
              "lease_until": None}
    if outcome == S.PENDING:
        fields["next_attempt_at"] = now + timedelta(
            seconds=_backoff(job.attempt, result.retry_after))
    else:
        fields["finished_at"] = now
    with transaction.atomic():
        Delivery.objects.filter(
            pk=job.delivery_id, status=S.SENDING, attempts=job.attempt
        ).update(**fields)
        DeliveryAttempt.objects.create(
            delivery_id=job.delivery_id, number=job.attempt, started_at=started_at,
            duration_ms=result.duration_ms, status_code=result.status, outcome=outcome,
            response_excerpt=result.excerpt, error=error,
        )
        if outcome in (S.PENDING, S.DEAD):
            opened = _breaker_failure(job.subscription_id, now)
        elif job.failures_before:
            Subscription.objects.filter(pk=job.subscription_id).update(
                consecutive_failures=0, breaker_open_until=None)
    if outcome == S.DEAD:
        logger.error("delivery %s dead-lettered after %s attempts", job.delivery_id, job.attempt)
    return outcome, opened


def deliveries_requeue_expired() -> int:
    """Put back deliveries whose worker died mid-send (lease expired)."""
    now = timezone.now()
    with transaction.atomic():
        stale = list(Delivery.objects.select_for_update(skip_locked=True)
                     .filter(status=S.SENDING, lease_until__lt=now)
                     .values_list("pk", "attempts"))
        if not stale:
            return 0
        Delivery.objects.filter(pk__in=[pk for pk, _ in stale]).update(
            status=S.PENDING, lease_until=None, next_attempt_at=now,
            last_error="worker lost during the attempt; re-queued")
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(delivery_id=pk, number=attempts, started_at=now, outcome=S.PENDING,
                            error="worker lost during the attempt (lease expired); re-queued")
            for pk, attempts in stale
        )
    return len(stale)


def deliveries_next_due_in() -> float | None:
    """Seconds until the next pending delivery may be claimed (≤ 0: due now)."""
    with connection.cursor() as cursor:
        cursor.execute(NEXT_DUE_SQL)
        (due,) = cursor.fetchone()
    return None if due is None else (due - timezone.now()).total_seconds()


def _process(job: Job, throttled: dict[int, float], paused: set[int]) -> bool:
    """Send one job unless its contract's rate says wait; True when it was sent."""
    if job.subscription_id in paused:
        delivery_unclaim(job, wait=0)  # its circuit opened during this batch
        return False
    if job.rate:
        try:
            wait = rate_acquire(bucket=f"contract:{job.contract_id}", per_second=job.rate)
        except redis.RedisError:
            logger.exception("rate limiter unavailable; delivery %s postponed", job.delivery_id)
            wait = 1.0
        if wait > 0:
            delivery_unclaim(job, wait=wait)
            throttled[job.subscription_id] = time.monotonic() + wait
            return False
    started_at = timezone.now()
    result = delivery_send_now(job)
    _, opened = delivery_record(job, result, started_at=started_at)
    if opened:
        paused.add(job.subscription_id)
    return True


def deliveries_relay(*, budget: float | None = None, schedule_later=None,
                     on_backlog=None) -> int:
    """Deliver until nothing is claimable (or ``budget`` seconds passed); return sends.

    ``schedule_later(seconds)`` is called when the next delivery is due later (a retry
    backoff): the relay task uses it to enqueue a delayed run.  ``on_backlog()`` is called
    when a claim comes back full (more work than one loop sends): ask for a helper run.
    """
    deadline = time.monotonic() + (budget if budget is not None else policy("relay_budget"))
    throttled: dict[int, float] = {}
    sent = 0
    paused: set[int] = set()
    unclaimed_due = 0
    while time.monotonic() < deadline:
        now = time.monotonic()
        skip = [sub for sub, until in throttled.items() if until > now]
        jobs, refused = _claim(limit=None, skip_subscriptions=skip)
        if refused and not jobs:
            continue
        if jobs:
            if on_backlog and len(jobs) >= policy("batch_size"):
                on_backlog()
            for job in jobs:
                if throttled.get(job.subscription_id, 0) > time.monotonic():
                    delivery_unclaim(job, wait=throttled[job.subscription_id] - time.monotonic())
                    continue
                sent += _process(job, throttled, paused)
            paused.clear()
            continue
        if skip:
            # Only rate-limited endpoints have work: wait for their next slot.
            time.sleep(max(0.005, min(throttled[s] for s in skip) - time.monotonic()))
            continue
        due_in = deliveries_next_due_in()
        if due_in is None:
            return sent
        if due_in <= 0:
            # Due by now but not claimed: it just became due (the claim ran a moment ago),
            # or it waits behind a delivery another worker holds (that worker keeps looping
            # and takes it next). Look again briefly before leaving it to that worker.
            unclaimed_due += 1
            if unclaimed_due > 3:
                return sent
            time.sleep(0.01)
            continue
        unclaimed_due = 0
        if due_in <= 1.0:
            time.sleep(due_in)
            continue
        if schedule_later:
            schedule_later(due_in)
        return sent
    if schedule_later:
        schedule_later(0)  # budget used up with work left: continue in a fresh run
    return sent
