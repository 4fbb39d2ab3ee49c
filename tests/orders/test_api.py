"""The orders API: ingest (good and bad input), list/detail/lookup/events, master data."""

import copy
import json

import pytest

from orders.models import Order, OrderEvent, OrderLine
from tests.factories.orders import make_shop, make_sku

pytestmark = pytest.mark.django_db

GOOD = {
    "shop": "tb-main",
    "channel_order_id": "0041000000000000001",
    "status": "paid",
    "channel_status": "WAIT_SELLER_SEND_GOODS",
    "channel_modified_at": "2026-11-11T10:00:00+08:00",
    "buyer": {"channel_buyer_id": "b-1", "nick": "小王", "level": "gold"},
    "receiver": {"name": "王*", "phone": "138****0000", "province": "上海", "city": "上海市",
                 "district": "浦东新区", "address": "世纪大道***", "masked": True},
    "amounts": {"goods": "199.00", "discount": "10.00", "shipping": "8.00", "paid": "197.00"},
    "lines": [
        {"sku": "SKU-1", "quantity": 1, "unit_price": "99.00", "amount": "99.00"},
        {"sku": "SKU-UNKNOWN", "quantity": 2, "unit_price": "50.00", "amount": "100.00"},
    ],
}


@pytest.fixture
def shop():
    make_sku()
    return make_shop()


def _ingest(client, body, **extra):
    return client.post("/api/v1/orders/ingest/", body, format="json", **extra)


def test_ingest_creates_then_is_idempotent(admin_api, shop):
    first = _ingest(admin_api, GOOD)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["channel_order_id"] == "0041000000000000001"  # leading zero kept: a string
    assert body["amounts"] == {"goods": "199.00", "discount": "10.00", "shipping": "8.00",
                               "tax": "0.00", "paid": "197.00"}
    assert body["receiver"]["masked"] is True
    assert [line["sku"] for line in body["lines"]] == ["SKU-1", None]
    assert body["buyer"]["level"] == "gold"
    second = _ingest(admin_api, GOOD)
    assert second.status_code == 200
    assert second.json()["oid"] == body["oid"]
    assert second["X-Liuzhuan-Outcome"] == "duplicate"
    assert Order.objects.count() == 1


def _broken(path, value):
    body = copy.deepcopy(GOOD)
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


BAD = {
    "missing shop": _broken(["shop"], KeyError),
    "missing lines": _broken(["lines"], KeyError),
    "empty lines": _broken(["lines"], []),
    "negative quantity": _broken(["lines", 0, "quantity"], -1),
    "zero quantity": _broken(["lines", 0, "quantity"], 0),
    "float quantity": _broken(["lines", 0, "quantity"], 1.5),
    "string quantity": _broken(["lines", 0, "quantity"], "1"),
    "non-decimal money": _broken(["amounts", "paid"], "abc"),
    "float money": _broken(["amounts", "paid"], 197.0),
    "three-place money": _broken(["amounts", "paid"], "197.001"),
    "negative money": _broken(["amounts", "goods"], "-1.00"),
    "amounts do not add up": _broken(["amounts", "paid"], "100.00"),
    "numeric order id": _broken(["channel_order_id"], 41000000000000001),
    "unknown status": _broken(["status"], "teleported"),
    "bad date": _broken(["channel_modified_at"], "yesterday"),
    "lines not a list": _broken(["lines"], {"sku": "x"}),
    "receiver not an object": _broken(["receiver"], "上海"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_400_with_code_and_writes_nothing(admin_api, shop, name):
    response = _ingest(admin_api, BAD[name])
    assert response.status_code == 400, (name, response.content)
    assert response.json()["code"]
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert OrderEvent.objects.count() == 0


def test_unknown_shop_is_404_with_code(admin_api, shop):
    response = _ingest(admin_api, _broken(["shop"], "nope"))
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_shop"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"a string"', b"\xff\xfe\x00"])
def test_malformed_bodies_are_400(admin_api, shop, raw):
    response = admin_api.generic("POST", "/api/v1/orders/ingest/", raw,
                                 content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"]
    assert Order.objects.count() == 0


def test_ten_megabyte_body_is_refused(admin_api, shop):
    body = copy.deepcopy(GOOD)
    body["seller_memo"] = "x" * (10 * 1024 * 1024)
    raw = json.dumps(body).encode()
    response = admin_api.generic("POST", "/api/v1/orders/ingest/", raw,
                                 content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "body_too_large"
    assert Order.objects.count() == 0


def test_list_filter_detail_lookup_events(admin_api, shop):
    oid = _ingest(admin_api, GOOD).json()["oid"]
    other = copy.deepcopy(GOOD)
    other["channel_order_id"] = "42"
    other["status"] = "pending_payment"
    _ingest(admin_api, other)

    listed = admin_api.get("/api/v1/orders/", {"status": "paid"}).json()
    assert [o["oid"] for o in listed["results"]] == [oid]
    assert "next" in listed and "count" not in listed  # cursor pagination, no COUNT(*)
    assert admin_api.get("/api/v1/orders/", {"shop": "tb-main"}).json()["results"][0]["shop"] == "tb-main"

    assert admin_api.get(f"/api/v1/orders/{oid}/").json()["oid"] == oid
    found = admin_api.get("/api/v1/orders/lookup/",
                          {"channel": "taobao", "channel_order_id": "0041000000000000001"}).json()
    assert found["oid"] == oid
    back = admin_api.get("/api/v1/orders/lookup/", {"oid": oid}).json()
    assert back["channel_order_id"] == "0041000000000000001"
    missing = admin_api.get("/api/v1/orders/lookup/", {"channel": "taobao", "channel_order_id": "1"})
    assert missing.status_code == 404 and missing.json()["code"] == "order_not_found"

    events = admin_api.get(f"/api/v1/orders/{oid}/events/").json()
    assert [e["type"] for e in events] == ["order.created", "order.paid"]
    assert events[0]["payload"]["unknown_skus"] == ["SKU-UNKNOWN"]


def test_detail_of_unknown_oid_is_404(admin_api):
    response = admin_api.get("/api/v1/orders/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"


def test_master_data_by_natural_key(admin_api):
    created = admin_api.post("/api/v1/shops/", {
        "channel": "jd", "code": "jd-1", "name": "JD one", "app_key": "k", "app_secret": "s3cret",
        "api_base_url": "https://api.jd.com/routerjson", "active": True,
    }, format="json")
    assert created.status_code == 201, created.content
    assert "app_secret" not in created.json()
    assert admin_api.get("/api/v1/shops/jd-1/").json()["name"] == "JD one"
    sku = admin_api.post("/api/v1/skus/", {"code": "007-A", "name": "Bond", "weight_g": 10},
                         format="json")
    assert sku.status_code == 201 and sku.json()["code"] == "007-A"
    patched = admin_api.patch("/api/v1/skus/007-A/", {"cold_chain": True}, format="json")
    assert patched.json()["cold_chain"] is True
    customer = admin_api.post("/api/v1/customers/", {"channel": "jd", "channel_buyer_id": "0099",
                                                      "level": "vip"}, format="json")
    assert customer.status_code == 201 and customer.json()["channel_buyer_id"] == "0099"
    dup = admin_api.post("/api/v1/customers/", {"channel": "jd", "channel_buyer_id": "0099"},
                         format="json")
    assert dup.status_code == 400 and dup.json()["code"] == "invalid"
