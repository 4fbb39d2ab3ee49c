"""Sales-platform adapters, one module each; ``get_platform(name)`` finds them."""

from . import douyin, jd, pdd, taobao  # noqa: F401  (each module registers itself)
from .http import AlreadyShipped, PlatformRejected, RateLimited
from .registry import GatewayError, Platform, get_platform, platforms


def ship(shop, *, channel_order_id: str, carrier: str, tracking_no: str) -> None:
    """Shipment write-back to the shop's platform (for the outbox relay).

    Raises ``AlreadyShipped`` when the platform already has the order shipped,
    ``PlatformRejected`` for a final refusal, ``GatewayError`` for anything worth a retry.
    """
    get_platform(shop.channel).ship(shop, channel_order_id=channel_order_id, carrier=carrier,
                                    tracking_no=tracking_no)


__all__ = ["AlreadyShipped", "GatewayError", "Platform", "PlatformRejected", "RateLimited", "get_platform",
           "platforms", "ship"]
