"""Operator actions: retry deliveries, replay events from a time, reset a circuit breaker."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from ..models import Delivery, DeliveryStatus, Subscription
from ..policy import policy
from .outbox import _kick_on_commit

S = DeliveryStatus
RETRYABLE = (S.FAILED, S.DEAD, S.REFUSED)


def deliveries_retry(*, delivery_ids: Iterable, actor=None) -> int:
    """Send failed / dead / refused deliveries again (same delivery id, same body).

    A refused delivery gets its body rebuilt, so a corrected contract applies.
    """
    ids = list(delivery_ids)
    with transaction.atomic():
        rows = list(Delivery.objects.select_for_update().filter(pk__in=ids, status__in=RETRYABLE))
        now = timezone.now()
        for row in rows:
            if row.status == S.REFUSED:
                row.body = ""
            row.status = S.PENDING
            row.next_attempt_at = now
            row.finished_at = None
            row.attempt_limit = row.attempts + policy("max_attempts")
        Delivery.objects.bulk_update(
            rows, ["status", "next_attempt_at", "finished_at", "attempt_limit", "body"])
        if rows:
            _kick_on_commit()
    return len(rows)


REPLAY_SQL = """
INSERT INTO subscribers_delivery
  (id, subscription_id, event_id, oid, seq, event_type, status, attempts, attempt_limit,
   next_attempt_at, body, last_error, created_at)
SELECT gen_random_uuid(), %(sub)s, e.id, e.oid, e.id, e.type, 'pending', 0, %(limit)s,
       clock_timestamp(), '', '', clock_timestamp()
FROM subscribers_outboxevent e
WHERE e.occurred_at >= %(since)s AND (%(all)s OR e.type = ANY(%(types)s))
ORDER BY e.id
"""


def subscription_replay(*, subscription: Subscription, since: datetime, actor=None) -> int:
    """New deliveries, in event order, of every event since ``since`` this subscription wants.

    New delivery ids; the event ids are the originals, so receivers that dedupe by event id
    ignore what they already have.
    """
    if since is None or timezone.is_naive(since):
        raise ValidationFailed(_("give the replay start time with its time zone"),
                               code="replay_since_invalid")
    if since > timezone.now():
        raise ValidationFailed(_("the replay start time is in the future"),
                               code="replay_since_future")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(REPLAY_SQL, {
                "sub": subscription.pk, "limit": policy("max_attempts"), "since": since,
                "all": not subscription.event_types, "types": list(subscription.event_types),
            })
            created = cursor.rowcount
        if created:
            _kick_on_commit()
    return created


def subscription_breaker_reset(*, subscription: Subscription, actor=None) -> None:
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk).update(
            consecutive_failures=0, breaker_open_until=None)
        _kick_on_commit()
