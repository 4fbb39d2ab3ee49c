"""Shipment write-back to the sales platforms, as a sender for the outbox relay.

The subscribers app delivers ``order.shipped`` events of a ``platform:<channel>``
subscription by calling the sender registered for that channel (stored outbox row, order
per order, retries with backoff, dead letter, attempt log). This module is that sender:
it finds the shop and calls the platform's shipment API.
"""

from __future__ import annotations

from channels_adapters.platforms import AlreadyShipped, PlatformRejected, ship
from channels_adapters.subscribers.writeback import WritebackRejected, register_shipment_writeback
from orders.models import Shop

CHANNELS = ("taobao", "jd", "pdd", "douyin")


def shipment_writeback_send(*, shop_code, channel_order_id, carrier, tracking_no, oid) -> str:
    """Tell the platform the order shipped; return a short excerpt for the attempt log."""
    try:
        shop = Shop.objects.get(code=shop_code)
    except Shop.DoesNotExist:
        raise WritebackRejected(f"unknown shop {shop_code!r}") from None
    if not carrier or not tracking_no:
        raise WritebackRejected("the order has no carrier or tracking number")
    try:
        ship(shop, channel_order_id=channel_order_id, carrier=carrier, tracking_no=tracking_no)
    except AlreadyShipped:
        return "already shipped on the platform"
    except PlatformRejected as exc:
        raise WritebackRejected(str(exc)) from exc
    return f"shipped {carrier} {tracking_no}"


def register_writeback_senders() -> None:
    for channel in CHANNELS:
        register_shipment_writeback(channel, shipment_writeback_send)
