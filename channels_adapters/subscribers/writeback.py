"""Extension point: shipment write-back to the sales platforms *through the outbox*.

A subscription whose URL is ``platform:<channel>`` (e.g. ``platform:taobao``, event types
``["order.shipped"]``) is delivered by the same relay — stored outbox row, per-order
ordering, retries with backoff, dead letter, circuit breaker, attempt log — but instead
of an HTTP POST the relay calls the write-back client registered for that channel::

    register_shipment_writeback("taobao", send)   # in the platform adapter's ready()

    def send(*, shop_code, channel_order_id, carrier, tracking_no, oid) -> str: ...
        # return a short response excerpt; raise WritebackRejected for a permanent
        # refusal (not retried), any other exception to retry.

Events of orders from other channels are acknowledged without a call.
"""

from __future__ import annotations

import json
import time

from .services.http import HttpResult

SCHEME = "platform:"
_senders: dict = {}


class WritebackRejected(Exception):
    """The platform refused the write-back for good (retrying cannot help)."""


def register_shipment_writeback(channel: str, sender) -> None:
    _senders[channel] = sender


def platform_writeback_now(*, url: str, body: str) -> HttpResult:
    channel = url[len(SCHEME):]
    envelope = json.loads(body)
    data = envelope.get("data") or {}
    if data.get("channel") != channel:
        return HttpResult(status=204, duration_ms=0, excerpt="not an order of this channel")
    sender = _senders.get(channel)
    if sender is None:
        return HttpResult(status=None, duration_ms=0,
                          error=f"no shipment write-back client registered for {channel}")
    started = time.monotonic()
    try:
        excerpt = sender(shop_code=data.get("shop"), channel_order_id=data.get("channel_order_id"),
                         carrier=data.get("carrier"), tracking_no=data.get("tracking_no"),
                         oid=envelope.get("oid"))
        status, error = 200, ""
    except WritebackRejected as exc:
        excerpt, status, error = "", 400, f"rejected by {channel}: {exc}"
    except Exception as exc:  # noqa: BLE001 - reported in the attempt log and retried
        excerpt, status, error = "", None, f"{type(exc).__name__}: {exc}"
    return HttpResult(status=status, duration_ms=int((time.monotonic() - started) * 1000),
                      excerpt=str(excerpt or "")[:1000], error=error)
