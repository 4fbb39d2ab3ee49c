"""Run the detectors: one statement per alert kind, over all orders or a marked few.

For each kind the candidate rows ``(order_id, severity, details)`` of its detector
become a CTE; the same statement inserts the missing open alerts
(``ON CONFLICT DO NOTHING`` against the partial unique index → idempotent, race-safe)
and resolves the open alerts of that kind whose order is no longer a candidate
(automatic resolution when the cause disappears).  Newly opened alerts are published
(``alert.opened``, options for valued customers, e-mail) by an actor after commit;
``Alert.published_at`` makes that step durable (a sweep republishes what a crash lost).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from core.tasks_util import enqueue_on_commit

from ..detectors import DETECTORS, Fragment
from ..models import Alert, AlertKind, AlertStatus, DirtyOrder

PUBLISH_BATCH = 500
AUTO_RESOLUTION = "auto: cause no longer present"


@dataclass
class DetectionResult:
    opened: dict[str, list[int]] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)

    @property
    def opened_ids(self) -> list[int]:
        return [pk for ids in self.opened.values() for pk in ids]

    def as_json(self) -> dict:
        return {"opened": {k: len(v) for k, v in self.opened.items() if v},
                "resolved": {k: n for k, n in self.resolved.items() if n}}


DETECTION_LOCK_KEY = 0x4C5A414C  # "LZAL"
_EMPTY = "SELECT NULL::bigint, NULL::text, NULL::jsonb WHERE false"


def _statement(kind: str, fragments: list[Fragment], now: datetime, scope) -> tuple[str, list]:
    union = " UNION ALL ".join(f"({f.sql})" for f in fragments) or _EMPTY
    params: list = [p for f in fragments for p in f.params]
    table = Alert._meta.db_table
    narrow = ""
    if scope is not None:
        narrow = "AND a.order_id = ANY(%s)"
    sql = f"""
        WITH cand AS (
            SELECT DISTINCT ON (c.order_id) c.order_id, c.severity, c.details
              FROM ({union}) AS c(order_id, severity, details)
             ORDER BY c.order_id
        ), ins AS (
            INSERT INTO {table} (kind, severity, order_id, key, status, details, opened_at,
                                 resolution)
            SELECT %s, cand.severity, cand.order_id, '', %s, cand.details, %s, ''
              FROM cand
            ON CONFLICT DO NOTHING
            RETURNING id
        ), res AS (
            UPDATE {table} a
               SET status = %s, resolved_at = %s, resolution = %s
             WHERE a.kind = %s AND a.resolved_at IS NULL AND a.order_id IS NOT NULL {narrow}
               AND NOT EXISTS (SELECT 1 FROM cand WHERE cand.order_id = a.order_id)
            RETURNING a.id
        )
        SELECT COALESCE((SELECT array_agg(id ORDER BY id) FROM ins), '{{}}'),
               (SELECT count(*) FROM res)
    """
    params += [kind, AlertStatus.OPEN.value, now, AlertStatus.RESOLVED.value, now,
               AUTO_RESOLUTION, kind]
    if scope is not None:
        params.append(list(scope))
    return sql, params


def alerts_detect(*, kinds=None, now: datetime | None = None, scope=None) -> DetectionResult:
    """Run the detectors of ``kinds`` (all by default) over every order, or only over the
    order ids in ``scope``.  Idempotent; one statement per kind (plus the reads a
    detector needs for its own configuration, e.g. the SLA rows)."""
    now = now or timezone.now()
    result = DetectionResult()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # One detection run at a time (scheduled scan, marked drain, "run now"): two runs
            # inserting and resolving overlapping (order, kind) keys in different orders
            # could deadlock. Ingest never waits on this lock.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DETECTION_LOCK_KEY])
            for kind in kinds or list(DETECTORS):
                kind = AlertKind(kind)
                fragments = DETECTORS[kind](now=now, scope=scope)
                sql, params = _statement(kind.value, fragments, now, scope)
                cursor.execute(sql, params)
                opened, resolved = cursor.fetchone()
                result.opened[kind.value] = list(opened)
                result.resolved[kind.value] = resolved
        ids = result.opened_ids
        if ids:
            from ..tasks import alerts_publish_task

            for start in range(0, len(ids), PUBLISH_BATCH):
                enqueue_on_commit(alerts_publish_task, ids[start:start + PUBLISH_BATCH])
    return result


def alerts_detect_marked(*, limit: int = 5000, now: datetime | None = None) -> DetectionResult | None:
    """Drain up to ``limit`` marked orders and re-evaluate exactly those (set-based).
    The marks are deleted in the same transaction: a crash leaves them for the next run."""
    table = DirtyOrder._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE order_id IN (SELECT order_id FROM {table} "
                "ORDER BY order_id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING order_id",
                [limit],
            )
            ids = sorted(row[0] for row in cursor.fetchall())
        if not ids:
            return None
        return alerts_detect(scope=ids, now=now)
