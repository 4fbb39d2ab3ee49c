"""Platform API clients against the sandbox: detail fetch, shipment write-back, errors."""

from __future__ import annotations

import pytest

from channels_adapters.models import SandboxMessage
from channels_adapters.platforms import (
    AlreadyShipped,
    GatewayError,
    PlatformRejected,
    get_platform,
    ship,
)
from channels_adapters.sandbox.engine import sandbox_order_create
from channels_adapters.sandbox.store import sandbox_state_get

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["taobao", "jd", "pdd", "douyin"])
def test_ship_writes_back_once_and_the_platform_then_says_shipped(name, shops, inproc, rng):
    shop = shops[name]
    state = sandbox_order_create(shop=shop, rng=rng, stage="paid")
    ship(shop, channel_order_id=state["id"], carrier="SF", tracking_no="SF1234567890")
    after = sandbox_state_get(platform=name, app_key=shop.app_key, order_id=state["id"])
    assert after["stage"] == "shipped" and after["tracking"] == "SF1234567890"
    canonical = get_platform(name).parse_document(
        get_platform(name).fetch_order_detail(shop=shop, channel_order_id=state["id"]), shop_code=shop.code)
    assert canonical.status == "shipped" and canonical.tracking_no == "SF1234567890"
    with pytest.raises(AlreadyShipped):
        ship(shop, channel_order_id=state["id"], carrier="SF", tracking_no="SF1234567890")
    if name == "taobao":  # the platform announces its own change
        assert SandboxMessage.objects.filter(topic="taobao_trade_TradeSellerShip", order_id=state["id"]).exists()


@pytest.mark.parametrize("name", ["taobao", "jd", "pdd", "douyin"])
def test_unknown_order_is_a_final_rejection(name, shops, inproc):
    with pytest.raises(PlatformRejected) as info:
        ship(shops[name], channel_order_id="999999999999", carrier="SF", tracking_no="SF1")
    assert not isinstance(info.value, AlreadyShipped)


def test_unreachable_gateway_is_retryable(shops, rng):
    shop = shops["jd"]
    shop.api_base_url = "http://127.0.0.1:9/"
    with pytest.raises(GatewayError) as info:
        get_platform("jd").fetch_order_detail(shop=shop, channel_order_id="289912345678")
    assert not isinstance(info.value, PlatformRejected)
    shop.api_base_url = ""
    with pytest.raises(GatewayError, match="no api_base_url"):
        get_platform("jd").fetch_order_detail(shop=shop, channel_order_id="289912345678")
