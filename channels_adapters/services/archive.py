"""Writing and finishing inbound-archive rows (never with secrets, never logged in plain text)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from channels_adapters.models import InboundMessage, Outcome

# Headers never stored: credentials and session material.
SECRET_HEADERS = {"authorization", "cookie", "x-csrftoken", "proxy-authorization"}
INGEST_OUTCOMES = {
    "created": Outcome.APPLIED,
    "updated": Outcome.APPLIED,
    "duplicate": Outcome.DUPLICATE,
    "stale": Outcome.STALE,
}


def headers_from_meta(meta: dict) -> dict[str, str]:
    """Request headers as lower-case dash names (``event-sign``), secrets dropped."""
    out = {}
    for key, value in meta.items():
        if key.startswith("HTTP_"):
            name = key[5:].lower().replace("_", "-")
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.lower().replace("_", "-")
        else:
            continue
        if name in SECRET_HEADERS or "token" in name or "secret" in name:
            continue
        out[name] = str(value)[:512]
    return out


def inbound_message_build(
    *, platform: str, kind: str, body: bytes, headers: dict, shop=None, shop_code: str = "",
    topic: str = "", msg_id: str = "", channel_order_id: str = "", signature_ok: bool | None = None,
    outcome: str = Outcome.PENDING, error: str = "", order=None, actor=None,
) -> InboundMessage:
    """An unsaved archive row (fields cut to their columns; processed when not pending).
    ``actor``: who posted a document accepted for later (it is the ingest's actor then)."""
    done = outcome != Outcome.PENDING
    return InboundMessage(
        platform=platform[:16], kind=kind, shop=shop, shop_code=(shop.code if shop else shop_code)[:64],
        topic=topic[:64], msg_id=msg_id[:191], channel_order_id=channel_order_id[:64], body=body,
        headers=headers, signature_ok=signature_ok, outcome=outcome, error=error[:4000], order=order,
        processed_at=timezone.now() if done else None, attempts=1 if done else 0,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def inbound_message_archive(
    *, platform: str, kind: str, body: bytes, headers: dict, shop=None, shop_code: str = "",
    topic: str = "", msg_id: str = "", channel_order_id: str = "", signature_ok: bool | None = None,
    outcome: str = Outcome.PENDING, error: str = "", order=None, actor=None,
) -> tuple[InboundMessage, bool]:
    """Insert one archive row; ``(row, False)`` when the message id was seen before.

    A repeated platform message id only bumps ``seen_count`` of the first row.
    Runs in a savepoint so callers can keep going inside their transaction.
    """
    row = inbound_message_build(
        platform=platform, kind=kind, body=body, headers=headers, shop=shop, shop_code=shop_code,
        topic=topic, msg_id=msg_id, channel_order_id=channel_order_id, signature_ok=signature_ok,
        outcome=outcome, error=error, order=order, actor=actor,
    )
    if not msg_id:
        row.save()
        return row, True
    try:
        with transaction.atomic():
            row.save()
        return row, True
    except IntegrityError:
        first = InboundMessage.objects.filter(
            platform=row.platform, shop_code=row.shop_code, msg_id=row.msg_id
        )
        first.update(seen_count=F("seen_count") + 1)
        return first.first(), False


def inbound_message_finish(*, row: InboundMessage, outcome: str, error: str = "", order=None) -> None:
    """Record the result of one processing attempt (inside the caller's transaction if any)."""
    fields = {
        "outcome": outcome, "error": error[:4000], "processed_at": timezone.now(),
        "attempts": F("attempts") + 1,
    }
    if order is not None:
        fields["order"] = order
    InboundMessage.objects.filter(pk=row.pk).update(**fields)
    row.outcome, row.error = outcome, error[:4000]
    if order is not None:
        row.order = order
