"""POST /api/v1/channels/<platform>/<shop_code>/orders/ — native documents in, canonical out."""

from __future__ import annotations

import pytest
from django.test import override_settings

from channels_adapters.models import InboundMessage
from orders.models import Order, OrderEvent
from tests.factories.channels import SHOPS, fixture_bytes, make_platform_shop
from tests.factories.orders import make_sku

pytestmark = pytest.mark.django_db

CASES = [
    ("taobao", "taobao_multiline_refund.json", "3912457786025509836", "paid", "442.90"),
    ("taobao", "taobao_presale_cipher.json", "4038812345678901234", "pending_payment", "1199.00"),
    ("jd", "jd_enget_cipher.json", "289912345678", "paid", "335.00"),
    ("pdd", "pdd_strings_group_presale.json", "231124-000000000000001", "on_hold", "185.00"),
    ("douyin", "douyin_detail_envelope.json", "4781320682406083640", "paid", "285.90"),
    ("douyin", "douyin_presale_bignum.json", "4705288465508532862", "pending_payment", "549.00"),
]


def post(client, platform, body, shop=None):
    shop = shop or SHOPS[platform][0]
    return client.generic("POST", f"/api/v1/channels/{platform}/{shop}/orders/", body,
                          content_type="application/json")


@pytest.mark.parametrize(("platform", "fixture", "order_id", "status", "paid"), CASES)
def test_document_creates_then_is_idempotent(admin_api, platform, fixture, order_id, status, paid):
    make_platform_shop(platform)
    make_sku("SERUM-30ML")
    response = post(admin_api, platform, fixture_bytes(fixture))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["channel"], body["channel_order_id"]) == (platform, order_id)
    # Status on first sight (approval rules of the warehouses app may move a paid order on).
    created = OrderEvent.objects.get(order__oid=body["oid"], type="order.created")
    assert created.payload["status"] == status
    assert body["amounts"]["paid"] == paid and body["receiver"]["masked"] is True
    assert response["X-Liuzhuan-Outcome"] == "created"

    again = post(admin_api, platform, fixture_bytes(fixture))
    assert again.status_code == 200 and again["X-Liuzhuan-Outcome"] == "duplicate"
    assert again.json()["oid"] == body["oid"]
    assert Order.objects.filter(channel_order_id=order_id).count() == 1
    assert list(InboundMessage.objects.order_by("id").values_list("outcome", flat=True)) == [
        "applied", "duplicate"]
    row = InboundMessage.objects.first()
    assert bytes(row.body) == fixture_bytes(fixture) and row.order.channel_order_id == order_id
    assert "authorization" not in row.headers and "cookie" not in row.headers


def test_document_lines_link_known_skus_and_keep_refunds(admin_api):
    make_platform_shop("douyin")
    make_sku("SERUM-30ML")
    body = post(admin_api, "douyin", fixture_bytes("douyin_detail_envelope.json")).json()
    lines = body["lines"]
    assert [(x["sku"], x["merchant_code"], x["refund_status"]) for x in lines] == [
        ("SERUM-30ML", "SERUM-30ML", "none"), (None, "MASK-5P", "refunded")]
    created = OrderEvent.objects.get(order__oid=body["oid"], type="order.created")
    assert created.payload["unknown_skus"] == ["MASK-5P"]


def test_newer_document_moves_order_forward_older_is_stale(admin_api):
    make_platform_shop("jd")
    doc = fixture_bytes("jd_enget_cipher.json").decode()
    assert post(admin_api, "jd", doc).status_code == 201
    shipped = doc.replace("WAIT_SELLER_STOCK_OUT", "WAIT_GOODS_RECEIVE_CONFIRM").replace(
        '"modified": "2026-11-11 08:10:00"', '"modified": "2026-11-12 09:00:00"')
    response = post(admin_api, "jd", shipped)
    assert response.status_code == 200 and response.json()["status"] == "shipped"
    older = doc.replace('"modified": "2026-11-11 08:10:00"', '"modified": "2026-11-11 08:05:00"')
    response = post(admin_api, "jd", older)
    assert response["X-Liuzhuan-Outcome"] == "stale" and response.json()["status"] == "shipped"


@pytest.mark.parametrize(
    ("platform", "shop", "body", "status", "code"),
    [
        ("taobao", None, b'{"trade_fullinfo_get_response": {"trade": {"tid": 39124', 400, "malformed_json"),
        ("taobao", None, b'{"trade": "\xff\xfe"}', 400, "invalid_encoding"),
        ("taobao", None, b'{"trade": {"tid": 1, "status": "WAIT_SELLER_SEND_GOODS", "orders": 7}}', 400,
         "invalid_document"),
        ("taobao", None, b"", 400, "malformed_json"),
        ("kuaishou", "tb-flagship", b"{}", 404, "unknown_platform"),
        ("taobao", "no-such-shop", b"{}", 404, "unknown_shop"),
        ("jd", "tb-flagship", b'{"orderId": "1"}', 400, "channel_mismatch"),
    ],
)
def test_bad_input_is_4xx_with_code_and_nothing_written(admin_api, platform, shop, body, status, code):
    make_platform_shop("taobao")
    response = post(admin_api, platform, body, shop=shop)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Order.objects.exists()
    assert InboundMessage.objects.get().outcome == "rejected"


@override_settings(LIUZHUAN_MAX_BODY_BYTES=1000)
def test_huge_body_refused(admin_api):
    make_platform_shop("taobao")
    response = post(admin_api, "taobao", b'{"x": "' + b"a" * 5000 + b'"}')
    assert response.status_code == 400 and response.json()["code"] == "body_too_large"
    assert not Order.objects.exists()


def test_amount_violating_db_constraint_is_rejected_not_500(admin_api):
    """Negative money cannot be stored; the whole document is refused, nothing half-written."""
    make_platform_shop("pdd")
    doc = fixture_bytes("pdd_floats_cipher.json").decode().replace('"postage": 0.0', '"postage": -5.0')
    response = post(admin_api, "pdd", doc)
    assert response.status_code == 400 and response.json()["code"] == "invalid_document"
    assert not Order.objects.exists()


def test_requires_permission(api_client, group_user):
    make_platform_shop("taobao")
    assert post(api_client, "taobao", fixture_bytes("taobao_multiline_refund.json")).status_code in (401, 403)
    api_client.force_authenticate(group_user("warehouse"))
    assert post(api_client, "taobao", fixture_bytes("taobao_multiline_refund.json")).status_code == 403
    api_client.force_authenticate(group_user("ops", username="ops-1"))
    assert post(api_client, "taobao", fixture_bytes("taobao_multiline_refund.json")).status_code == 201


def test_a_refused_document_is_explained_in_the_callers_language(admin_api):
    """Field path and code stay as they are; the sentence follows Accept-Language."""
    make_platform_shop("taobao")
    body = b'{"trade": {"tid": 1, "status": "WAIT_SELLER_SEND_GOODS", "orders": 7}}'
    url = f"/api/v1/channels/taobao/{SHOPS['taobao'][0]}/orders/"
    english = admin_api.post(url, body, content_type="application/json").json()
    chinese = admin_api.post(url, body, content_type="application/json",
                             HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert english["code"] == chinese["code"] == "invalid_document"
    assert english["message"] == "orders: must be an array"
    assert chinese["message"] == "orders: 必须是数组"
