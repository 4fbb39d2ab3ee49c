"""Shipment write-back: order shipped here → outbox → relay → the platform's shipment API."""

from __future__ import annotations

import pytest

from channels_adapters.platforms import get_platform
from channels_adapters.sandbox.engine import sandbox_order_create
from channels_adapters.sandbox.store import sandbox_state_get
from channels_adapters.subscribers.models import Delivery, Subscription
from channels_adapters.subscribers.services.relay import deliveries_relay
from orders.services.ingest import order_ingest
from orders.services.transitions import order_transition

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["taobao", "jd", "pdd", "douyin"])
def test_shipping_an_order_tells_its_platform_through_the_outbox(name, shops, inproc, rng):
    shop = shops[name]
    Subscription.objects.create(name=f"write-back {name}", url=f"platform:{name}", secret="x",
                                event_types=["order.shipped"], active=True)
    state = sandbox_order_create(shop=shop, rng=rng, stage="paid")
    platform = get_platform(name)
    canonical = platform.parse_document(
        platform.fetch_order_detail(shop=shop, channel_order_id=state["id"]), shop_code=shop.code)
    order = order_ingest(canonical=canonical, source="test").order
    if order.status == "paid":
        order_transition(oid=order.oid, name="approve", actor=None, source="test")
    for step in ("allocate", "start_picking"):
        order_transition(oid=order.oid, name=step, actor=None, source="test")
    order_transition(oid=order.oid, name="ship", actor=None, source="test",
                     params={"carrier": "SF", "tracking_no": "SF7788990011"})

    deliveries_relay(budget=5)

    delivery = Delivery.objects.get(subscription__url=f"platform:{name}", oid=order.oid)
    assert delivery.status == "succeeded", delivery.__dict__
    after = sandbox_state_get(platform=name, app_key=shop.app_key, order_id=state["id"])
    assert after["stage"] == "shipped" and after["tracking"] == "SF7788990011"


def test_a_refusal_is_not_retried(shops, inproc, rng):
    shop = shops["jd"]
    Subscription.objects.create(name="write-back jd", url="platform:jd", secret="x",
                                event_types=["order.shipped"], active=True)
    from tests.factories.orders import canonical_order, make_sku

    make_sku()
    order = order_ingest(canonical=canonical_order(shop_code=shop.code, channel_order_id="99887766",
                                                   status="paid"), source="test").order
    for step in ("approve", "allocate", "start_picking"):
        order_transition(oid=order.oid, name=step, actor=None, source="test")
    order_transition(oid=order.oid, name="ship", actor=None, source="test",
                     params={"carrier": "SF", "tracking_no": "SF1"})
    deliveries_relay(budget=5)
    delivery = Delivery.objects.get(subscription__url="platform:jd", oid=order.oid)
    assert delivery.status == "failed"
    assert delivery.attempts == 1 and delivery.attempt_log.count() == 1
