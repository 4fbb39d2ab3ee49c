"""POST /api/v1/channels/<platform>/<shop_code>/orders/batch/ — a page of native documents."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from channels_adapters.models import InboundMessage
from channels_adapters.subscribers.models import OutboxEvent
from invoicing.models import OrderTaxProfile
from orders.api.serializers import OrderOutSerializer
from orders.models import Order, OrderEvent
from tests.factories.channels import SHOPS, fixture_bytes, make_platform_shop
from tests.factories.orders import make_sku

pytestmark = pytest.mark.django_db

FIXTURES = {
    "taobao": ["taobao_multiline_refund.json", "taobao_presale_cipher.json", "taobao_crossborder_shipped.json"],
    "jd": ["jd_enget_cipher.json", "jd_shipped_bare.json"],
    "pdd": ["pdd_strings_group_presale.json", "pdd_floats_cipher.json", "pdd_shipped_refunded.json"],
    "douyin": ["douyin_detail_envelope.json", "douyin_presale_bignum.json", "douyin_crossborder_shipped.json"],
}


def batch(client, platform, body: bytes, shop=None):
    shop = shop or SHOPS[platform][0]
    return client.generic("POST", f"/api/v1/channels/{platform}/{shop}/orders/batch/", body,
                          content_type="application/json")


def single(client, platform, body: bytes, shop):
    return client.generic("POST", f"/api/v1/channels/{platform}/{shop}/orders/", body,
                          content_type="application/json")


def page(*parts: bytes) -> bytes:
    return b"[\n  " + b",\n  ".join(parts) + b"\n]"


def taobao_doc(tid: str, *, modified: str = "2026-11-11 09:30:00", status: str | None = None) -> bytes:
    d = json.loads(fixture_bytes("taobao_multiline_refund.json"))
    trade = d["trade_fullinfo_get_response"]["trade"]
    trade["tid"] = trade["tid_str"] = tid
    trade["modified"] = modified
    if status:
        trade["status"] = status
    for k, line in enumerate(trade["orders"]["order"]):
        line["oid"] = line["oid_str"] = f"{tid}{k}"
    return json.dumps(d, ensure_ascii=False).encode()


def refuse_order_trigger(channel_order_id: str) -> None:
    """A trigger that makes the database refuse one order's INSERT (any unexpected error)."""
    assert channel_order_id.isdigit()
    with connection.cursor() as cursor:
        cursor.execute(f"""
            CREATE FUNCTION test_refuse_order() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.channel_order_id = '{channel_order_id}' THEN
                RAISE EXCEPTION 'refused by test trigger';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER test_refuse_order BEFORE INSERT ON orders_order
              FOR EACH ROW EXECUTE FUNCTION test_refuse_order();
        """)


def comparable(order: Order) -> dict:
    data = OrderOutSerializer(Order.objects.get(pk=order.pk)).data
    for key in ("oid", "shop", "created_at", "updated_at"):
        data.pop(key)
    data["events"] = list(OrderEvent.objects.filter(order=order).order_by("id")
                          .values_list("type", "source", "payload"))
    data["outbox"] = list(OutboxEvent.objects.filter(oid=order.oid).order_by("id")
                          .values_list("type", flat=True))
    data["tax_link"] = list(OrderTaxProfile.objects.filter(order=order).values_list("source", flat=True))
    data["score"] = (order.priority_score, order.priority_breakdown)
    return data


@pytest.mark.parametrize("platform", sorted(FIXTURES))
def test_a_page_lands_exactly_like_the_documents_sent_alone(admin_api, platform):
    """Same orders, lines, timeline, outbox events, tax links and scores as one by one."""
    alone = make_platform_shop(platform, code=f"{platform}-alone")
    paged = make_platform_shop(platform)
    make_sku("SERUM-30ML")
    make_sku("TEA-LJ")
    docs = [fixture_bytes(name) for name in FIXTURES[platform]]
    for doc in docs:
        assert single(admin_api, platform, doc, alone.code).status_code == 201

    response = batch(admin_api, platform, page(*docs))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["counts"] == {"created": len(docs)}
    assert [r["index"] for r in body["results"]] == list(range(len(docs)))
    for result in body["results"]:
        a = Order.objects.get(shop=alone, channel_order_id=result["channel_order_id"])
        b = Order.objects.get(shop=paged, oid=result["oid"])
        assert comparable(a) == comparable(b)
    rows = list(InboundMessage.objects.filter(shop=paged).order_by("id"))
    assert [bytes(r.body) for r in rows] == [d.strip() for d in docs]  # each as it arrived
    assert {r.outcome for r in rows} == {"applied"} and all(r.order_id for r in rows)


def test_bad_documents_are_refused_alone_and_the_rest_lands(admin_api):
    make_platform_shop("taobao")
    truncated = taobao_doc("500000000000000002")[:-40]
    not_an_order = b'{"trade_fullinfo_get_response": {"trade": {"tid": "1"}}}'
    body = page(taobao_doc("500000000000000001"), b'"just a string"', not_an_order,
                taobao_doc("500000000000000003"))
    response = batch(admin_api, "taobao", body)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r.get("outcome") or r["code"] for r in results] == [
        "created", "invalid_document", results[2]["code"], "created"]
    assert results[2]["code"] not in ("created",)
    assert Order.objects.filter(channel_order_id__startswith="5000000000000000").count() == 2
    outcomes = list(InboundMessage.objects.order_by("id").values_list("outcome", "error"))
    assert [o for o, _ in outcomes] == ["rejected", "rejected", "applied", "applied"]
    assert outcomes[0][1].startswith("invalid_document")
    # A truncated array is refused as a whole, archived once, nothing written.
    response = batch(admin_api, "taobao", page(taobao_doc("500000000000000004"), truncated))
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"
    assert not Order.objects.filter(channel_order_id="500000000000000004").exists()
    assert InboundMessage.objects.filter(outcome="rejected", error__startswith="malformed_json").count() == 1


@pytest.mark.parametrize(("body", "code", "status"), [
    (b'{"trade_fullinfo_get_response": {}}', "not_an_array", 400),
    (b"[\xff]", "invalid_encoding", 400),
    (b"[1, 2", "malformed_json", 400),
])
def test_unusable_bodies_get_a_code(admin_api, body, code, status):
    make_platform_shop("taobao")
    response = batch(admin_api, "taobao", body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert InboundMessage.objects.get().outcome == "rejected"


def test_unknown_shop_and_platform_and_limits(admin_api, settings):
    make_platform_shop("taobao")
    assert batch(admin_api, "taobao", b"[]", shop="nope").json()["code"] == "unknown_shop"
    assert batch(admin_api, "kuaishou", b"[]", shop="tb-flagship").status_code == 404
    settings.LIUZHUAN_MAX_BATCH_DOCUMENTS = 2
    body = page(*(taobao_doc(f"60000000000000000{i}") for i in range(3)))
    response = batch(admin_api, "taobao", body)
    assert (response.status_code, response.json()["code"]) == (400, "batch_too_large")
    assert not Order.objects.exists()
    assert batch(admin_api, "taobao", b"[]").json() == {"counts": {}, "results": []}


def test_the_same_order_twice_in_a_page_and_known_orders(admin_api):
    make_platform_shop("taobao")
    assert batch(admin_api, "taobao", page(taobao_doc("700000000000000001"))).status_code == 200
    body = page(
        taobao_doc("700000000000000002"),
        taobao_doc("700000000000000002"),  # same version again: duplicate
        taobao_doc("700000000000000001", modified="2026-11-12 10:00:00", status="WAIT_BUYER_CONFIRM_GOODS"),
        taobao_doc("700000000000000002", modified="2026-11-10 08:00:00"),  # older: stale
    )
    results = batch(admin_api, "taobao", body).json()["results"]
    assert [r["outcome"] for r in results] == ["created", "duplicate", "updated", "stale"]
    assert Order.objects.get(channel_order_id="700000000000000001").status == "shipped"
    assert OrderEvent.objects.filter(order__channel_order_id="700000000000000002",
                                     type="order.created").count() == 1


def test_an_overlong_merchant_code_is_refused_alone(admin_api):
    make_platform_shop("taobao")
    bad = json.loads(taobao_doc("800000000000000002"))
    for line in bad["trade_fullinfo_get_response"]["trade"]["orders"]["order"]:
        line["outer_sku_id"] = "X" * 80
    bad = json.dumps(bad).encode()
    results = batch(admin_api, "taobao", page(taobao_doc("800000000000000001"), bad)).json()["results"]
    assert [r.get("outcome") or r["code"] for r in results] == ["created", "field_too_long"]
    response = single(admin_api, "taobao", bad, "tb-flagship")  # alone: a 400, never a 500
    assert (response.status_code, response.json()["code"]) == (400, "field_too_long")
    assert not Order.objects.filter(channel_order_id="800000000000000002").exists()


def test_a_database_failure_falls_back_to_one_transaction_per_document(admin_api):
    """Should the database refuse one order of the page (here a trigger stands for any
    unexpected database error), that document fails alone into the dead-letter list and
    its neighbours land."""
    make_platform_shop("taobao")
    refuse_order_trigger("810000000000000002")
    body = page(*(taobao_doc(f"81000000000000000{i}") for i in (1, 2, 3)))
    response = batch(admin_api, "taobao", body)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r.get("outcome") or r["code"] for r in results] == ["created", "ingest_failed", "created"]
    assert set(Order.objects.values_list("channel_order_id", flat=True)) == {
        "810000000000000001", "810000000000000003"}
    failed = InboundMessage.objects.get(outcome="failed")
    assert failed.channel_order_id == "810000000000000002" and "refused by test trigger" in failed.error
    assert bytes(failed.body) == taobao_doc("810000000000000002")


@pytest.mark.django_db(transaction=True)
def test_concurrent_pages_sharing_orders_create_each_order_once(api_client, admin_user):
    """Four clients post overlapping pages at once: every order exists once, with one
    ``order.created`` event and one outbox ``order.created`` event."""
    from rest_framework.test import APIClient

    make_platform_shop("taobao")
    ids = [f"90000000000000{n:04d}" for n in range(24)]
    pages = [ids[0:16], list(reversed(ids[8:24])), ids[4:20], ids[::2] + ids[1::2]]
    errors, barrier = [], threading.Barrier(len(pages))

    def post(ids_of_page):
        client = APIClient()
        client.force_authenticate(admin_user)
        body = page(*(taobao_doc(i) for i in ids_of_page))
        try:
            barrier.wait()
            response = batch(client, "taobao", body)
            if response.status_code != 200 or response.json()["counts"].get("rejected"):
                errors.append(response.content)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(p,)) for p in pages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Order.objects.filter(channel_order_id__in=ids).count() == len(ids)
    assert OrderEvent.objects.filter(type="order.created").count() == len(ids)
    assert OutboxEvent.objects.filter(type="order.created").count() == len(ids)
    assert InboundMessage.objects.count() == sum(map(len, pages))
    assert InboundMessage.objects.filter(outcome="applied").count() == len(ids)  # the rest: duplicate
