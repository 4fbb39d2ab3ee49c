"""The relay: claim → send → record.  No network I/O while a row lock is held.

* Claim: one statement (``relay_rows.CLAIM_SQL``) picks due deliveries with ``FOR UPDATE
  SKIP LOCKED`` (workers never wait for each other), only the head of each (subscription,
  order) queue plus the due deliveries right behind it, marks them ``sending`` with a lease
  and returns what is needed to send them; it commits before anything is sent.
* Send: outside any transaction, in ``seq`` order, after the contract's shared rate limit
  allows it.  A delivery that does not finish (retry later, rate limit, open circuit) stops
  its order's chain: the deliveries behind it in this batch are given back untouched.
* Record: the results of a batch in one statement (state + attempt rows); a failure, or a
  success that closes a circuit, is recorded at once with its breaker change in one
  transaction.  A worker that dies mid-send leaves a ``sending`` row whose lease expires;
  the sweeper puts it back (at least once — receivers dedupe by event id).
* Circuit breaker per subscription: N retryable failures in a row pause that endpoint
  (its rows are simply not claimed), so one dead endpoint does not hold the workers.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

import redis
from django.db import connection, transaction
from django.utils import timezone

from ..models import Contract, Delivery, DeliveryAttempt, DeliveryStatus, Subscription
from ..policy import policy
from ..signing import signature_for
from . import relay_rows as rows
from .body import body_render
from .contracts import ContractViolation
from .http import HttpResult, http_post_now
from .ratelimit import rate_acquire

logger = logging.getLogger(__name__)
S = DeliveryStatus
RETRYABLE_4XX = (408, 429)
FLUSH_AFTER = 0.05  # seconds a finished result may wait for the rest of its batch
LINGER_POLL = 0.02  # seconds between claims while a run lingers for more work


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
    oid: object = None

    @property
    def chain(self):
        """The per-order queue this delivery belongs to (None: not ordered)."""
        return (self.subscription_id, self.oid) if self.oid is not None else None


@dataclass(frozen=True)
class _Event:
    event_id: object
    type: str
    occurred_at: object
    oid: object
    data: dict


def _refused(row, exc: ContractViolation, now) -> rows.Record:
    logger.warning("delivery %s refused before sending: %s", row.delivery_id, exc.message)
    return rows.Record(
        delivery_id=row.delivery_id, attempt=row.attempt, outcome=S.REFUSED, status_code=None,
        last_error=exc.message, error=f"{exc.code}: {exc.message}", next_attempt_at=None,
        finished_at=now, started_at=now, duration_ms=0, excerpt="")


def _contracts(claimed) -> dict[int, Contract]:
    ids = {r.contract_id for r in claimed if r.contract_id is not None and not r.body}
    return {c.pk: c for c in Contract.objects.filter(pk__in=ids)} if ids else {}


def deliveries_claim(*, limit: int | None = None, skip_subscriptions=()) -> list[Job]:
    """Claim up to ``limit`` due deliveries (heads and their due chains); committed."""
    return _claim(limit=limit, skip_subscriptions=skip_subscriptions)[0]


def _claim(*, limit, skip_subscriptions) -> tuple[list[Job], int]:
    """(jobs to send in this order, rows settled without sending — refused by contract)."""
    claimed = rows.rows_claim(limit=limit or policy("batch_size"),
                              skip_subscriptions=skip_subscriptions,
                              margin=policy("lease_margin"))
    if not claimed:
        return [], 0
    threshold = policy("breaker_threshold")
    contracts = _contracts(claimed)
    now = timezone.now()
    probing: set[int] = set()
    jobs: list[Job] = []
    bodies: dict = {}
    refused: list[rows.Record] = []
    back: list = []
    for row in claimed:
        if row.failures_before >= threshold:
            # Half-open circuit: one probe per subscription; the rest stay pending.
            if row.subscription_id in probing:
                back.append((row.delivery_id, row.attempt, 0.0))
                continue
            probing.add(row.subscription_id)
        body = row.body
        if not body:
            event = _Event(row.event_id, row.type, row.occurred_at, row.event_oid,
                           json.loads(row.data))
            try:
                body = body_render(event=event, contract=contracts.get(row.contract_id))
            except ContractViolation as exc:
                refused.append(_refused(row, exc, now))
                continue
            bodies[row.delivery_id] = body
        jobs.append(Job(
            delivery_id=row.delivery_id, attempt=row.attempt, attempt_limit=row.attempt_limit,
            subscription_id=row.subscription_id, failures_before=row.failures_before,
            url=row.url, secret=row.secret, event_type=row.event_type, body=body,
            timeout=row.timeout, contract_id=row.contract_id, rate=row.rate, oid=row.oid,
        ))
    rows.bodies_store(bodies)
    rows.rows_record(refused)
    rows.rows_unclaim(back)
    return jobs, len(refused)


def delivery_unclaim(job: Job, *, wait: float) -> None:
    """Give a claimed delivery back untouched (rate limit said "not yet")."""
    rows.rows_unclaim([(job.delivery_id, job.attempt, wait)])


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


def _record_of(job: Job, result: HttpResult, outcome: str, *, started_at, now) -> rows.Record:
    error = result.error
    if outcome == S.FAILED:
        error = error or f"HTTP {result.status}: not retried"
    elif outcome in (S.PENDING, S.DEAD) and not error:
        error = f"HTTP {result.status}"
    pending = outcome == S.PENDING
    return rows.Record(
        delivery_id=job.delivery_id, attempt=job.attempt, outcome=outcome,
        status_code=result.status, last_error=error, error=error,
        next_attempt_at=(now + timedelta(seconds=_backoff(job.attempt, result.retry_after))
                         if pending else None),
        finished_at=None if pending else now, started_at=started_at,
        duration_ms=result.duration_ms, excerpt=result.excerpt)


def _breaker_failure(subscription_id: int, now) -> bool:
    """Count one more failure in a row; open the circuit at the threshold (True if open)."""
    failures = rows.breaker_failures_add(subscription_id, 1)
    threshold = policy("breaker_threshold")
    if failures >= threshold:
        cooldown = min(policy("breaker_cooldown_max"),
                       policy("breaker_cooldown") * 2 ** min(failures - threshold, 10))
        Subscription.objects.filter(pk=subscription_id).update(
            breaker_open_until=now + timedelta(seconds=cooldown))
        return True
    return False


class _Batch:
    """Results waiting to be stored together; breaker changes are stored at once."""

    def __init__(self):
        self.records: list[rows.Record] = []
        self.first_at = 0.0
        self.failures: dict[int, int] = {}  # subscription → failures in a row as we know it

    def add(self, job: Job, record: rows.Record) -> bool:
        """Queue ``record``; return True when the subscription's circuit opened."""
        if not self.records:
            self.first_at = time.monotonic()
        self.records.append(record)
        sub = job.subscription_id
        failures = self.failures.setdefault(sub, job.failures_before)
        if record.outcome in (S.PENDING, S.DEAD):
            with transaction.atomic():
                self.flush()
                opened = _breaker_failure(sub, record.finished_at or timezone.now())
            self.failures[sub] = failures + 1
            return opened
        if record.outcome == S.SUCCEEDED and failures:
            with transaction.atomic():
                self.flush()
                Subscription.objects.filter(pk=sub).update(consecutive_failures=0,
                                                           breaker_open_until=None)
            self.failures[sub] = 0
        elif time.monotonic() - self.first_at > FLUSH_AFTER:
            self.flush()
        return False

    def flush(self) -> None:
        records, self.records = self.records, []
        rows.rows_record(records)


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
        cursor.execute(rows.NEXT_DUE_SQL)
        (due,) = cursor.fetchone()
    return None if due is None else (due - timezone.now()).total_seconds()


def deliveries_claimable() -> bool:
    """True when a due delivery waits that nobody holds (a relay run should look)."""
    return rows.rows_claimable()


def _send_batch(jobs: list[Job], throttled: dict[int, float]) -> int:
    """Send one claimed batch in order; give back what may not go now; return sends."""
    batch = _Batch()
    back: list = []
    stopped: set = set()  # chains with an unfinished delivery: the rest waits
    paused: set[int] = set()  # circuits that opened during this batch
    limit_at = time.monotonic() + policy("lease_margin") / 2  # leases stay ahead of sends
    sent = 0
    for job in jobs:
        now = time.monotonic()
        sub = job.subscription_id
        if (job.chain is not None and job.chain in stopped) or sub in paused or now > limit_at:
            back.append((job.delivery_id, job.attempt, 0.0))
            stopped.add(job.chain)
            continue
        wait = max(0.0, throttled.get(sub, 0.0) - now)
        if not wait and job.rate:
            try:
                wait = rate_acquire(bucket=f"contract:{job.contract_id}", per_second=job.rate)
            except redis.RedisError:
                logger.exception("rate limiter unavailable; delivery %s postponed",
                                 job.delivery_id)
                wait = 1.0
            if wait > 0:
                throttled[sub] = now + wait
        if wait > 0:
            back.append((job.delivery_id, job.attempt, wait))
            stopped.add(job.chain)
            continue
        started_at = timezone.now()
        result = delivery_send_now(job)
        sent += 1
        outcome = _outcome(result, job)
        if outcome == S.PENDING:
            stopped.add(job.chain)
        elif outcome == S.DEAD:
            logger.error("delivery %s dead-lettered after %s attempts", job.delivery_id,
                         job.attempt)
        record = _record_of(job, result, outcome, started_at=started_at, now=timezone.now())
        if batch.add(job, record):
            paused.add(sub)
    batch.flush()
    rows.rows_unclaim(back)
    return sent


def deliveries_relay(*, budget: float | None = None, schedule_later=None,
                     on_backlog=None, heartbeat=None, linger: float = 0.0) -> int:
    """Deliver until nothing is claimable (or ``budget`` seconds passed); return sends.

    ``schedule_later(seconds)`` is called when the next delivery is due later (a retry
    backoff): the relay task uses it to enqueue a delayed run.  ``on_backlog()`` is called
    when a claim comes back full (more work than one loop sends): ask for a helper run.
    ``heartbeat()`` is called once per loop (the task keeps its "a relay runs" flag alive).
    ``linger``: after the last batch keep looking (every ``LINGER_POLL`` s) this long before
    stopping — under a steady stream the next rows come within milliseconds, and a cheap
    claim is less work than ending the run and starting another one through the broker.
    """
    deadline = time.monotonic() + (budget if budget is not None else policy("relay_budget"))
    throttled: dict[int, float] = {}
    sent = 0
    unclaimed_due = 0
    worked_at = time.monotonic()
    while time.monotonic() < deadline:
        if heartbeat:
            heartbeat()
        now = time.monotonic()
        skip = [sub for sub, until in throttled.items() if until > now]
        jobs, refused = _claim(limit=None, skip_subscriptions=skip)
        if refused and not jobs:
            continue
        if jobs:
            unclaimed_due = 0
            worked_at = time.monotonic()
            if on_backlog and len(jobs) >= policy("batch_size"):
                on_backlog()
            sent += _send_batch(jobs, throttled)
            continue
        if skip:
            # Only rate-limited endpoints have work: wait for their next slot.
            time.sleep(max(0.005, min(throttled[s] for s in skip) - time.monotonic()))
            continue
        if time.monotonic() - worked_at < linger:
            # Poll with a trivial statement; claim again only when a row is due.
            time.sleep(LINGER_POLL)
            while time.monotonic() - worked_at < linger and not rows.rows_due():
                time.sleep(LINGER_POLL)
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
