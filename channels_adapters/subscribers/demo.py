"""Demo data for ``seed_demo``: sandbox ERP/WMS/CRM receivers and subscriptions to them,
and shipment write-back to each sandbox platform (``platform:<channel>``)."""

from channels_adapters.subscribers.models import Subscription
from channels_adapters.subscribers.services.seed import subscribers_seed_demo

PLATFORMS = ("taobao", "jd", "pdd", "douyin")


def seed(*, stdout=None, port: int = 8000) -> str:
    subs = subscribers_seed_demo(f"http://127.0.0.1:{port}")
    for channel in PLATFORMS:
        Subscription.objects.get_or_create(
            name=f"Shipment write-back {channel}",
            defaults={"url": f"platform:{channel}", "secret": "platform-writeback",
                      "event_types": ["order.shipped"], "active": True},
        )
    return f"{len(subs)} subscriptions to sandbox receivers, {len(PLATFORMS)} platform write-backs"
