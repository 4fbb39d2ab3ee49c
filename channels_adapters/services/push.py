"""Douyin (Doudian) push: verify, archive, acknowledge; the work happens in an actor.

``POST /hooks/douyin/<shop_code>/`` carries a JSON array of ``{tag, msg_id, data}``
signed over the raw body (DESIGN §4).  The platform wants an answer within 2 s,
so the request only verifies the signature, archives every message (deduplicated
by ``msg_id``) and enqueues the order messages; the detail fetch and ingest run in
``inbound_message_process_task``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from channels_adapters.models import Kind, Outcome
from channels_adapters.platforms import base, douyin, get_platform
from core.errors import DomainError, NotFound, ValidationFailed
from core.tasks_util import enqueue_on_commit
from orders.models import Shop

from .archive import inbound_message_archive

logger = logging.getLogger(__name__)


class SignatureInvalid(DomainError):
    """The push is not signed with this shop's app secret."""

    code = "invalid_signature"
    status = 401


@dataclass(frozen=True)
class PushReceipt:
    accepted: int  # new messages archived
    duplicates: int
    enqueued: int


def split_array(raw: bytes) -> list[tuple[str, Any]]:
    """The elements of a JSON array with the exact text of each (a lone object counts as one)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = _("the body is not UTF-8 (byte %(byte)s)") % {"byte": exc.start}
        raise base.DocumentError(message, code="invalid_encoding") from None
    decoder = json.JSONDecoder(parse_int=str, parse_float=Decimal,
                               parse_constant=lambda c: base._reject_constant(c))
    ws = " \t\n\r"
    i, n = 0, len(text)

    def skip(k: int) -> int:
        while k < n and text[k] in ws:
            k += 1
        return k

    try:
        i = skip(i)
        if i < n and text[i] == "{":
            value, end = decoder.raw_decode(text, i)
            if skip(end) != n:
                raise json.JSONDecodeError("extra data", text, end)
            return [(text[i:end], value)]
        if i >= n or text[i] != "[":
            raise json.JSONDecodeError("expected a JSON array of messages", text, i)
        items, i = [], skip(i + 1)
        if i < n and text[i] == "]":
            i += 1
        else:
            while True:
                value, end = decoder.raw_decode(text, i)
                items.append((text[i:end], value))
                i = skip(end)
                if i < n and text[i] == ",":
                    i = skip(i + 1)
                    continue
                if i < n and text[i] == "]":
                    i += 1
                    break
                raise json.JSONDecodeError("expected , or ]", text, i)
        if skip(i) != n:
            raise json.JSONDecodeError("extra data after the array", text, i)
        return items
    except json.JSONDecodeError as exc:
        message = _("malformed JSON at %(pos)s: %(error)s") % {"pos": exc.pos, "error": exc.msg}
        raise base.DocumentError(message, code="malformed_json") from None
    except RecursionError:
        raise base.DocumentError(_("JSON nested too deeply"), code="malformed_json") from None


def _message_fields(message: Any) -> dict:
    """tag, msg_id and the order id of one message; ``error`` when it cannot be used."""
    if not isinstance(message, dict):
        return {"error": "a message must be an object"}
    tag = message.get("tag")
    msg_id = message.get("msg_id", message.get("msgId"))
    if not isinstance(tag, str) or not isinstance(msg_id, (str, type(None))):
        return {"error": "tag and msg_id must be a number or a string", "tag": str(tag)[:64]}
    data = message.get("data")
    if isinstance(data, str):
        try:
            data = base.loads(data) if data.strip() else {}
        except base.DocumentError as exc:
            return {"error": f"data: {exc.message}", "tag": tag, "msg_id": msg_id or ""}
    if not isinstance(data, dict):
        data = {}
    order_id = data.get("p_id", data.get("pid"))
    out = {"tag": tag.strip(), "msg_id": (msg_id or "").strip()}
    if out["tag"] in douyin.ORDER_TAGS:
        if not isinstance(order_id, str) or not order_id.strip().isdigit():
            return {**out, "error": "order messages need a numeric p_id"}
        out["channel_order_id"] = order_id.strip()
    return out


def douyin_push_receive(*, shop_code: str, body: bytes, headers: dict[str, str]) -> PushReceipt:
    """Verify and archive one push request; enqueue its order messages on commit."""
    from channels_adapters.tasks import inbound_message_process_task

    platform = get_platform("douyin")
    archive = {"platform": platform.name, "kind": Kind.PUSH, "headers": headers, "shop_code": shop_code}
    shop = Shop.objects.filter(code=shop_code, channel=platform.channel).first()
    if shop is None:
        inbound_message_archive(**archive, body=body[:65536], outcome=Outcome.REJECTED,
                                error="unknown_shop")
        raise NotFound(_("unknown Douyin shop %(shop)r") % {"shop": shop_code}, code="unknown_shop")
    archive["shop"] = shop
    if len(body) > settings.LIUZHUAN_MAX_BODY_BYTES:
        inbound_message_archive(**archive, body=b"", outcome=Outcome.REJECTED,
                                error=f"body_too_large: {len(body)} bytes")
        raise ValidationFailed(_("the push body is too large"), code="body_too_large")
    if not platform.verify_push(body=body, headers=headers, app_key=shop.app_key, secret=shop.app_secret):
        inbound_message_archive(**archive, body=body, signature_ok=False, outcome=Outcome.REJECTED,
                                error="invalid_signature")
        logger.warning("douyin push for %s: bad signature", shop.code)
        raise SignatureInvalid(_("event-sign does not match this shop's app key and secret"))
    archive["signature_ok"] = True
    try:
        messages = split_array(body)
    except base.DocumentError as exc:
        inbound_message_archive(**archive, body=body, outcome=Outcome.REJECTED,
                                error=f"{exc.code}: {exc.message}")
        raise
    accepted = duplicates = enqueued = 0
    with transaction.atomic():
        for raw, message in messages:
            fields = _message_fields(message)
            error = fields.pop("error", "")
            if error:
                outcome = Outcome.REJECTED
            elif fields["tag"] in douyin.ORDER_TAGS:
                outcome = Outcome.PENDING
            else:
                outcome, error = Outcome.IGNORED, "tag not handled"
            row, new = inbound_message_archive(
                **archive, body=raw.encode("utf-8"), topic=fields.get("tag", ""),
                msg_id=fields.get("msg_id", ""), channel_order_id=fields.get("channel_order_id", ""),
                outcome=outcome, error=error,
            )
            if not new:
                duplicates += 1
                continue
            accepted += 1
            if outcome == Outcome.PENDING:
                enqueue_on_commit(inbound_message_process_task, row.pk)
                enqueued += 1
    return PushReceipt(accepted=accepted, duplicates=duplicates, enqueued=enqueued)

