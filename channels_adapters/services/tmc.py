"""Taobao TMC over HTTP: consume, archive (dedupe by message id), process, confirm.

Messages are thin (``tid`` and a few fields): each order message becomes a pending
``InboundMessage`` whose processing fetches ``taobao.trade.fullinfo.get`` and
ingests it.  A message is confirmed only once its archive row is committed, so a
listener that dies in between gets it again (TMC redelivers unconfirmed
messages) and the copy is recognised by its id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from channels_adapters.models import Kind, Outcome
from channels_adapters.platforms import GatewayError, base, get_platform
from core.errors import DomainError
from core.tasks_util import enqueue_on_commit
from orders.models import Shop

from .archive import inbound_message_archive
from .inbound import inbound_message_process

logger = logging.getLogger(__name__)
ORDER_TOPIC_PREFIXES = ("taobao_trade_", "taobao_refund_")


@dataclass
class TmcRound:
    consumed: int = 0
    new: int = 0
    duplicates: int = 0
    confirmed: int = 0


def tmc_round(*, shop: Shop, quantity: int = 100, inline: bool = False, confirm: bool = True) -> TmcRound:
    """One consume → archive → (process) → confirm round for one shop.

    ``inline`` processes each new message here (no worker needed); otherwise the
    ingest actor does it.  ``confirm=False`` plays a listener that dies before confirming.
    """
    from channels_adapters.tasks import inbound_message_process_task

    platform = get_platform("taobao")
    messages = platform.tmc_consume(shop, quantity=quantity)
    out = TmcRound(consumed=len(messages))
    process_now: list[int] = []
    for m in messages:
        order_message = m.topic.startswith(ORDER_TOPIC_PREFIXES)
        try:
            tid = m.tid if order_message else ""
            error = "" if (tid or not order_message) else "the message names no tid"
        except DomainError as exc:
            tid, error = "", exc.message
        if error:
            outcome = Outcome.REJECTED
        else:
            outcome = Outcome.PENDING if order_message else Outcome.IGNORED
            error = "" if order_message else "topic not handled"
        body = base.dumps({"id": m.id, "topic": m.topic, "pub_time": m.pub_time,
                           "content": m.raw.decode("utf-8", "replace")}).encode("utf-8")
        with transaction.atomic():
            row, new = inbound_message_archive(
                platform="taobao", kind=Kind.PUSH, body=body, headers={}, shop=shop, topic=m.topic,
                msg_id=m.id, channel_order_id=tid, outcome=outcome, error=error,
            )
            if new and outcome == Outcome.PENDING and not inline:
                enqueue_on_commit(inbound_message_process_task, row.pk)
        if new:
            out.new += 1
            if outcome == Outcome.PENDING and inline:
                process_now.append(row.pk)
        else:
            out.duplicates += 1
    for pk in process_now:
        try:
            inbound_message_process(message_id=pk)
        except GatewayError:
            logger.warning("TMC message row %s: detail fetch failed; replay from the admin", pk)
    if confirm and messages:
        platform.tmc_confirm(shop, message_ids=[m.id for m in messages])
        out.confirmed = len(messages)
    return out
