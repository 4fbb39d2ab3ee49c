"""Sandbox ERP / WMS / CRM receivers: verify, record, answer as their mode says."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.errors import NotFound

from ..models import ReceivedWebhook, SandboxReceiver
from ..signing import signature_verify

M = SandboxReceiver.Mode


@dataclass(frozen=True)
class ReceiverAnswer:
    status: int
    body: dict


def _answer_for(receiver: SandboxReceiver) -> int:
    """200 unless the mode says fail; ``fail_next`` failures, then back to ``ok``."""
    if receiver.mode not in (M.FAIL_503, M.FAIL_400):
        return 200
    code = int(receiver.mode)
    if receiver.fail_next == 0:
        return code
    with transaction.atomic():
        row = SandboxReceiver.objects.select_for_update().get(pk=receiver.pk)
        if row.mode != receiver.mode:
            return 200
        if row.fail_next <= 1:
            SandboxReceiver.objects.filter(pk=row.pk).update(mode=M.OK, fail_next=0)
        else:
            SandboxReceiver.objects.filter(pk=row.pk).update(fail_next=F("fail_next") - 1)
    return code


def sandbox_receive(*, name: str, headers, body: bytes) -> ReceiverAnswer:
    try:
        receiver = SandboxReceiver.objects.get(name=name)
    except SandboxReceiver.DoesNotExist:
        raise NotFound(_("no sandbox receiver %(name)r") % {"name": name}, code="receiver_not_found") from None
    ok = signature_verify(secret=receiver.secret, timestamp=headers.get("X-Liuzhuan-Timestamp"),
                          signature=headers.get("X-Liuzhuan-Signature"), body=body)
    try:
        envelope = json.loads(body)
    except ValueError:
        envelope = {}
    if not isinstance(envelope, dict):
        envelope = {}
    if not ok:
        status = 401
    else:
        if receiver.mode == M.SLOW:
            time.sleep(float(receiver.slow_seconds))
        status = _answer_for(receiver)
    ReceivedWebhook.objects.create(
        receiver=receiver, delivery_id=headers.get("X-Liuzhuan-Delivery", "")[:64],
        event_id=str(envelope.get("id", ""))[:64], event_type=str(envelope.get("type", ""))[:40],
        oid=str(envelope.get("oid") or "")[:64], signature_ok=ok, answered=status,
        body=body.decode("utf-8", "replace"),
    )
    if status == 401:
        return ReceiverAnswer(401, {"code": "bad_signature", "message": "signature or timestamp invalid"})
    if status != 200:
        return ReceiverAnswer(status, {"code": f"sandbox_{status}", "message": f"mode {receiver.mode}"})
    return ReceiverAnswer(200, {"ok": True, "event": envelope.get("id")})


def sandbox_received_list(*, name: str, limit: int = 50) -> list[dict]:
    rows = ReceivedWebhook.objects.filter(receiver__name=name).order_by("-id")[:limit]
    return [{"received_at": r.received_at.isoformat(), "delivery_id": r.delivery_id,
             "event_id": r.event_id, "event_type": r.event_type, "oid": r.oid,
             "signature_ok": r.signature_ok, "answered": r.answered} for r in rows]
