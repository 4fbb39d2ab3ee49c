"""A page of native order documents in one request, one transaction.

``POST /api/v1/channels/<platform>/<shop_code>/orders/batch/`` takes a JSON array of
order-detail documents exactly as the platform's detail API returns them (each with or
without its envelope) — what an RDS-style bridge or a file import holds.  Every document
is archived with its own raw bytes and outcome, like one sent alone; a document that
does not parse or validate is rejected on its own and the others go ahead.  The valid
ones are ingested together (``order_ingest_many``: new orders set-based), and their
archive rows commit in the same transaction.  Should that shared transaction fail, each
document is retried alone, so one bad document never sinks the page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from channels_adapters.models import InboundMessage, Kind, Outcome
from channels_adapters.platforms import base, get_platform
from core.errors import DomainError, ValidationFailed
from orders.services.ingest import IngestResult, order_ingest_many, order_ingest_validate

from .archive import INGEST_OUTCOMES, inbound_message_archive, inbound_message_build
from .inbound import inbound_shop, native_document_ingest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentResult:
    index: int
    result: IngestResult | None = None
    error: DomainError | None = None


def _max_documents() -> int:
    return getattr(settings, "LIUZHUAN_MAX_BATCH_DOCUMENTS", 500)


def _archive_row(*, platform: str, shop, body: bytes, headers: dict, channel_order_id: str,
                 outcome: str, error: str = "", order=None) -> InboundMessage:
    return inbound_message_build(platform=platform, kind=Kind.DOCUMENT, body=body, headers=headers,
                                 shop=shop, channel_order_id=channel_order_id, outcome=outcome,
                                 error=error, order=order)


def native_documents_ingest(*, platform_name: str, shop_code: str, body: bytes, headers: dict,
                            actor=None) -> list[DocumentResult]:
    """Ingest a JSON array of native order documents; one result per document, in order.

    Raises (nothing written but the archive row of the whole body) when the request as a
    whole is unusable: unknown platform or shop, not a JSON array, too many documents.
    """
    archive = {"platform": platform_name, "kind": Kind.DOCUMENT, "body": body, "headers": headers,
               "shop_code": shop_code}
    try:
        platform = get_platform(platform_name)
        shop = inbound_shop(platform, shop_code)
        archive["shop"] = shop
        items = base.loads_array_items(body)
        if len(items) > _max_documents():
            raise ValidationFailed(
                gettext("a batch holds at most %(max)d documents, not %(n)d")
                % {"max": _max_documents(), "n": len(items)}, code="batch_too_large")
    except DomainError as exc:
        inbound_message_archive(**archive, outcome=Outcome.REJECTED, error=f"{exc.code}: {exc.message}")
        raise

    source = f"channel:{platform.name}"
    results: list[DocumentResult | None] = [None] * len(items)
    rejected, valid = [], []  # archive rows of refused documents; (index, raw, canonical)
    for index, (raw, document) in enumerate(items):
        try:
            if not isinstance(document, dict):
                raise base.DocumentError(gettext("each document must be a JSON object"),
                                         code="invalid_document")
            canonical = platform.parse_document(document, shop_code=shop.code)
            order_ingest_validate(canonical)
        except DomainError as exc:
            results[index] = DocumentResult(index=index, error=exc)
            rejected.append(_archive_row(platform=platform.name, shop=shop, body=raw, headers=headers,
                                         channel_order_id="", outcome=Outcome.REJECTED,
                                         error=f"{exc.code}: {exc.message}"))
            continue
        valid.append((index, raw, canonical))
    if rejected:
        InboundMessage.objects.bulk_create(rejected)
    if not valid:
        return results

    try:
        with transaction.atomic():
            ingested = order_ingest_many(shop=shop, canonicals=[c for _, _, c in valid],
                                         source=source, actor=actor)
            InboundMessage.objects.bulk_create([
                _archive_row(platform=platform.name, shop=shop, body=raw, headers=headers,
                             channel_order_id=canonical.channel_order_id,
                             outcome=INGEST_OUTCOMES[result.outcome], order=result.order)
                for (_, raw, canonical), result in zip(valid, ingested, strict=True)
            ])
        for (index, _, _), result in zip(valid, ingested, strict=True):
            results[index] = DocumentResult(index=index, result=result)
    except Exception:  # noqa: BLE001 — fall back to one transaction per document
        logger.warning("batch of %s documents for %s/%s failed together; retrying one by one",
                       len(valid), platform.name, shop.code, exc_info=True)
        for index, raw, _ in valid:
            results[index] = _one(platform.name, shop.code, raw, headers, actor, index)
    return results


def _one(platform_name: str, shop_code: str, raw: bytes, headers: dict, actor, index: int) -> DocumentResult:
    try:
        result, _ = native_document_ingest(platform_name=platform_name, shop_code=shop_code, body=raw,
                                           headers=headers, actor=actor)
    except DomainError as exc:
        return DocumentResult(index=index, error=exc)
    except Exception:  # noqa: BLE001 — archived as failed (dead letter) by native_document_ingest
        return DocumentResult(index=index, error=DomainError(
            gettext("the document could not be ingested; it is in the dead-letter list"),
            code="ingest_failed"))
    return DocumentResult(index=index, result=result)
