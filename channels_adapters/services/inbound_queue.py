"""Native documents accepted at once, ingested a page at a time by a worker.

``POST /api/v1/channels/<platform>/<shop_code>/orders/`` with ``Prefer: respond-async``
(RFC 7240) — for bridges that send one document per request and want the answer fast.
The request checks all that can be checked at once (platform, shop, size, the document
parses and validates: a bad one is still a 400 with its ``code``), archives the raw bytes
as a *pending* document, commits, and answers 202 with the archive row's id.  Nothing is
lost: the row is committed before the answer; there is no half-written order either,
since the order is written later in one transaction with the row's outcome.

A coalesced message asks a worker (queue ``documents``) to drain the pending documents:
pages of up to ``PAGE`` rows, oldest first, claimed with ``SKIP LOCKED`` (two workers
never take the same row), ingested per shop with ``order_ingest_many`` (new orders
set-based) and finished set-based in the same transaction as the orders.  Documents of
one order in one page are applied in arrival order, and older data never overwrites
newer data whatever the order (``order_ingest``'s rules).  Should a page fail as a whole,
each row is retried alone, so one bad row becomes a dead letter (``failed``, replayable
from the admin) and its neighbours land.  A scheduled run every 30 s catches anything a
lost message left behind.
"""

from __future__ import annotations

import logging
import time

from django.db import connection, transaction
from django.utils import timezone
from psycopg import errors as psycopg_errors

from channels_adapters.models import InboundMessage, Kind, Outcome
from channels_adapters.platforms import get_platform
from core.coalesce import coalesced_send, coalesced_started
from core.errors import DomainError
from orders.services.ingest import order_ingest_many, order_ingest_validate

from .archive import INGEST_OUTCOMES, inbound_message_archive
from .inbound import inbound_shop

logger = logging.getLogger(__name__)

PAGE = 100
KICK = "inbound-documents"
RUN_BUDGET_SECONDS = 20.0
RUNS = 2  # documents runs at the same time, at most (see ``inbound_documents_drain``)
# After a short page the run waits this long for more documents before it looks again
# (documents arriving one per request then go in pages, not one by one); an empty look ends
# it.  Longer: bigger pages, less CPU per document (0.05 → 0.15 s saved about 0.6 ms of
# worker + database CPU per document at 200/s), more latency for each document.
LINGER_SECONDS = 0.1


def native_document_accept(*, platform_name: str, shop_code: str, body: bytes, headers: dict,
                           actor=None) -> InboundMessage:
    """Check one native document and archive it as pending; a worker ingests it.

    Raises (after archiving the refusal) exactly what the synchronous endpoint raises
    for a document it cannot use.
    """
    archive = {"platform": platform_name, "kind": Kind.DOCUMENT, "body": body, "headers": headers,
               "shop_code": shop_code}
    try:
        platform = get_platform(platform_name)
        shop = inbound_shop(platform, shop_code)
        archive["shop"] = shop
        canonical = platform.parse_document(body, shop_code=shop.code)
        order_ingest_validate(canonical)
    except DomainError as exc:
        inbound_message_archive(**archive, outcome=Outcome.REJECTED, error=f"{exc.code}: {exc.message}")
        raise
    except Exception as exc:
        inbound_message_archive(**archive, outcome=Outcome.FAILED, error=f"{type(exc).__name__}: {exc}")
        logger.exception("native document %s/%s could not be checked", platform_name, shop_code)
        raise
    row, _ = inbound_message_archive(**archive, channel_order_id=canonical.channel_order_id,
                                     outcome=Outcome.PENDING, actor=actor)
    transaction.on_commit(documents_kick)  # at once, unless the caller holds a transaction
    return row


def documents_kick() -> None:
    """Ask a worker to drain the pending documents (coalesced: a burst sends one message).

    A broker that cannot be reached does not turn an accepted document into an error: the
    document is committed, and the scheduled run every 30 s takes it."""
    from channels_adapters.tasks import inbound_documents_drain_task

    try:
        coalesced_send(inbound_documents_drain_task, name=KICK)
    except Exception:  # noqa: BLE001 — logged; the safety-net run drains it
        logger.warning("could not ask for a documents run; the scheduled run will take them",
                       exc_info=True)


def pending_documents():
    """Accepted documents no run has taken yet (a replayed dead letter goes its own way)."""
    return InboundMessage.objects.filter(kind=Kind.DOCUMENT, outcome=Outcome.PENDING, attempts=0)


def inbound_documents_drain() -> int:
    """What the queued run does: pages until none is pending (or the time budget is spent —
    then it asks for another run).  Returns how many documents it took.

    At most ``RUNS`` runs at a time (PostgreSQL advisory locks): a run lingers while
    documents keep coming, and every commit meanwhile queues a message — unbounded, each
    would start another lingering run, until every worker thread drained documents and
    other queues waited.  Two runs overlap one's database waits with the other's work.
    A run that finds every slot taken ends at once: the running ones take its documents.
    A run looks once more after letting go of its slot, so a document committed while it
    was ending is never left for the 30-s safety net.
    """
    coalesced_started(KICK)
    started, done = time.monotonic(), 0
    while (slot := _drain_slot_take()) is not None:
        try:
            while True:
                n = inbound_documents_run_page(limit=PAGE)
                done += n
                if n == 0:
                    break
                if time.monotonic() - started > RUN_BUDGET_SECONDS:
                    documents_kick()
                    return done
                if n < PAGE:
                    time.sleep(LINGER_SECONDS)
        finally:
            _drain_slot_release(slot)
        if not pending_documents().exists():
            break
    return done


def _slot_key(slot: int) -> str:
    return f"liuzhuan:{KICK}:{slot}"


def _drain_slot_take() -> int | None:
    """A free run slot (its advisory lock taken without waiting), or None."""
    with connection.cursor() as cursor:
        for slot in range(RUNS):
            cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [_slot_key(slot)])
            if cursor.fetchone()[0]:
                return slot
    return None


def _drain_slot_release(slot: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [_slot_key(slot)])


def inbound_documents_run_page(*, limit: int = PAGE) -> int:
    """Take up to ``limit`` pending documents and ingest them in one transaction.  A page
    that meets a concurrent one in a deadlock goes again once; a page that still fails
    goes one document at a time (the failing one becomes a dead letter)."""
    ids: list[int] = []
    for attempt in range(2):
        try:
            with transaction.atomic():
                rows = list(pending_documents().select_for_update(of=("self",), skip_locked=True)
                            .select_related("shop", "actor").order_by("id")[:limit])
                ids = [row.pk for row in rows]
                _ingest_rows(rows)
            return len(rows)
        except Exception as exc:  # noqa: BLE001 — retried below
            if not ids:
                raise
            if attempt == 0 and isinstance(exc.__cause__, _TRANSIENT):
                logger.info("a page of %s pending documents met a concurrent page (%s); "
                            "trying it again", len(ids), type(exc.__cause__).__name__)
                continue
            logger.warning("a page of %s pending documents failed together; retrying one by "
                           "one", len(ids), exc_info=True)
            break
    return sum(_ingest_alone(pk) for pk in ids)


_TRANSIENT = (psycopg_errors.DeadlockDetected, psycopg_errors.SerializationFailure)


def _ingest_alone(pk: int) -> int:
    """One row in its own transaction; 0 when another run took it meanwhile."""
    try:
        with transaction.atomic():
            row = (pending_documents().select_for_update(of=("self",), skip_locked=True)
                   .select_related("shop", "actor").filter(pk=pk).first())
            if row is None:
                return 0
            _ingest_rows([row])
    except Exception as exc:  # noqa: BLE001 — a dead letter, replayable from the admin
        logger.exception("pending document %s failed", pk)
        _finish([(pk, Outcome.FAILED, f"{type(exc).__name__}: {exc}", None)])
    return 1


def _ingest_rows(rows: list[InboundMessage]) -> None:
    """Parse, ingest (per shop, in arrival order) and finish ``rows`` — inside the caller's
    transaction, which holds their locks."""
    finished: list[tuple[int, str, str, int | None]] = []
    groups: dict[tuple[int | None, str, int | None], list[InboundMessage]] = {}
    for row in rows:
        groups.setdefault((row.shop_id, row.platform, row.actor_id), []).append(row)
    for (_, platform_name, _), group in groups.items():
        shop = group[0].shop
        if shop is None:  # accepted rows always have one; kept for rows written by hand
            finished += [(row.pk, Outcome.REJECTED, "unknown_shop", None) for row in group]
            continue
        platform = get_platform(platform_name)
        valid = []
        for row in group:
            try:
                canonical = platform.parse_document(bytes(row.body), shop_code=shop.code)
                order_ingest_validate(canonical)
            except DomainError as exc:
                finished.append((row.pk, Outcome.REJECTED, f"{exc.code}: {exc.message}", None))
                continue
            valid.append((row, canonical))
        if not valid:
            continue
        results = order_ingest_many(shop=shop, canonicals=[c for _, c in valid],
                                    source=f"channel:{platform.name}", actor=group[0].actor)
        for (row, _), result in zip(valid, results, strict=True):
            finished.append((row.pk, INGEST_OUTCOMES[result.outcome], "", result.order.pk))
    _finish(finished)


def _finish(finished: list[tuple[int, str, str, int | None]]) -> None:
    """Record outcomes, errors and orders of many rows in one statement."""
    if not finished:
        return
    ids, outcomes, errors, orders = (list(col) for col in zip(*finished, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {InboundMessage._meta.db_table} AS m SET outcome = v.outcome, "
            "error = v.error, order_id = COALESCE(v.order_id, m.order_id), processed_at = %s, "
            "attempts = m.attempts + 1 "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[]) "
            "AS v(id, outcome, error, order_id) WHERE m.id = v.id AND m.outcome = 'pending'",
            [timezone.now(), ids, outcomes, [e[:4000] for e in errors], orders],
        )
