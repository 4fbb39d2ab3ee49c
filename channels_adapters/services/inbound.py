"""Native order documents and archived messages → ``orders.services.ingest.order_ingest``.

Adapters only translate; this module archives what came in, hands the canonical
order to the orders service in the same transaction as the archive row's
outcome, and turns failures into dead letters that can be replayed.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext

from channels_adapters.models import InboundMessage, Kind, Outcome
from channels_adapters.platforms import GatewayError, get_platform
from core.errors import Conflict, DomainError, NotFound, ValidationFailed
from core.tasks_util import enqueue_on_commit
from orders.models import Shop
from orders.services.ingest import IngestResult, order_ingest

from .archive import INGEST_OUTCOMES, inbound_message_archive, inbound_message_finish

logger = logging.getLogger(__name__)


def inbound_shop(platform, shop_code: str) -> Shop:
    shop = Shop.objects.filter(code=shop_code).first()
    if shop is None:
        raise NotFound(gettext("unknown shop %(shop)r") % {"shop": shop_code}, code="unknown_shop")
    if shop.channel != platform.channel:
        raise ValidationFailed(
            gettext("shop %(shop)s is a %(channel)s shop, not %(expected)s")
            % {"shop": shop.code, "channel": shop.channel, "expected": platform.channel},
            code="channel_mismatch",
        )
    if not shop.active:
        raise ValidationFailed(gettext("shop %(shop)s is inactive") % {"shop": shop.code}, code="shop_inactive")
    return shop


def native_document_ingest(
    *, platform_name: str, shop_code: str, body: bytes, headers: dict, actor=None
) -> tuple[IngestResult, InboundMessage]:
    """One native order-detail document (with or without envelope) → created/updated order."""
    archive = {"platform": platform_name, "kind": Kind.DOCUMENT, "body": body, "headers": headers,
               "shop_code": shop_code}
    try:
        platform = get_platform(platform_name)
        shop = inbound_shop(platform, shop_code)
        archive["shop"] = shop
        canonical = platform.parse_document(body, shop_code=shop.code)
        archive["channel_order_id"] = canonical.channel_order_id
        with transaction.atomic():
            result = order_ingest(canonical=canonical, source=f"channel:{platform.name}", actor=actor,
                                  shop=shop)
            row, _ = inbound_message_archive(
                **archive, outcome=INGEST_OUTCOMES[result.outcome], order=result.order
            )
    except DomainError as exc:
        inbound_message_archive(**archive, outcome=Outcome.REJECTED, error=f"{exc.code}: {exc.message}")
        raise
    except Exception as exc:
        inbound_message_archive(**archive, outcome=Outcome.FAILED, error=f"{type(exc).__name__}: {exc}")
        logger.exception("native document %s/%s failed", platform_name, shop_code)
        raise
    return result, row


def inbound_message_process(*, message_id: int) -> InboundMessage:
    """Apply one archived message: fetch the detail (push) or re-read the body (document).

    Raises ``GatewayError`` after recording the failure so the actor retries;
    document errors are final (dead letter) and are not raised.
    """
    row = InboundMessage.objects.select_related("shop", "actor").get(pk=message_id)
    if row.outcome != Outcome.PENDING and row.outcome != Outcome.FAILED:
        return row
    try:
        platform = get_platform(row.platform)
        if row.shop is None:
            raise NotFound(gettext("the message has no known shop"), code="unknown_shop")
        if row.kind == Kind.PUSH:
            if not row.channel_order_id:
                raise ValidationFailed(gettext("the message names no order"), code="no_order_id")
            # Network I/O outside any transaction or lock.
            raw = platform.fetch_order_detail(shop=row.shop, channel_order_id=row.channel_order_id)
        else:
            raw = bytes(row.body)
        canonical = platform.parse_document(raw, shop_code=row.shop.code)
        if row.channel_order_id and canonical.channel_order_id != row.channel_order_id:
            raise ValidationFailed(
                gettext("the gateway returned order %(got)s, not %(expected)s")
                % {"got": canonical.channel_order_id, "expected": row.channel_order_id},
                code="order_id_mismatch",
            )
        with transaction.atomic():
            result = order_ingest(canonical=canonical, source=f"channel:{platform.name}",
                                  actor=row.actor)
            inbound_message_finish(row=row, outcome=INGEST_OUTCOMES[result.outcome], order=result.order)
    except GatewayError as exc:
        inbound_message_finish(row=row, outcome=Outcome.FAILED, error=f"gateway: {exc}")
        logger.warning("inbound message %s: gateway error, will retry", row.pk)
        raise
    except DomainError as exc:
        inbound_message_finish(row=row, outcome=Outcome.FAILED, error=f"{exc.code}: {exc.message}")
        logger.warning("inbound message %s failed: %s", row.pk, exc.code)
    return row


def replayable(row: InboundMessage) -> bool:
    if row.outcome == Outcome.FAILED:
        return True
    # A rejected document may be replayed after a fix; a forged push never.
    return row.outcome == Outcome.REJECTED and row.signature_ok is not False and row.shop_id is not None


def inbound_message_replay(*, message_id: int, actor=None) -> InboundMessage:
    """Put a dead letter back in the queue; it is processed again by the worker."""
    from channels_adapters.tasks import inbound_message_process_task

    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().get(pk=message_id)
        if not replayable(row):
            raise Conflict(
                gettext("message %(id)s is %(outcome)s; only failed messages can be replayed")
                % {"id": row.pk, "outcome": row.outcome},
                code="not_replayable",
            )
        row.outcome, row.error = Outcome.PENDING, ""
        row.save(update_fields=["outcome", "error"])
        enqueue_on_commit(inbound_message_process_task, row.pk)
    logger.info("inbound message %s replayed by %s", row.pk, getattr(actor, "pk", None))
    return row
