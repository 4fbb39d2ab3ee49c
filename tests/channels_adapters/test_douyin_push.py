"""POST /hooks/douyin/<shop_code>/ — signature, archive, ack; the actor fetches and ingests."""

from __future__ import annotations

import json
import threading

import dramatiq
import pytest
from django.db import connection
from django.test import Client, override_settings

from channels_adapters.models import InboundMessage
from channels_adapters.platforms import GatewayError
from channels_adapters.sandbox.store import sandbox_document_put
from channels_adapters.services.inbound import inbound_message_process, inbound_message_replay
from orders.models import Order, OrderEvent
from tests.factories.channels import (
    SHOPS,
    douyin_detail,
    douyin_push_body,
    douyin_push_headers,
    make_platform_shop,
)

ORDER_ID = "4781320682406083640"
URL = "/hooks/douyin/dy-shop/"
ACK = {"code": 0, "msg": "success"}


def paid_push(msg_id: str = "04288XXXX9348874::101:1764037815:6837374400001", order_id: str = ORDER_ID):
    return douyin_push_body({
        "tag": 101, "msg_id": msg_id,
        "data": f'{{"p_id": {order_id}, "s_ids": [{order_id}], "shop_id": 95250, "order_status": 105, '
                f'"order_type": 0, "biz": 2, "pay_type": 1, "pay_time": 1764037815, "pay_amount": 25800}}',
    })


def push(client, body: bytes, **headers):
    return client.generic("POST", URL, body, content_type="application/json",
                          **{**douyin_push_headers(body), **headers})


def run_worker():
    broker = dramatiq.get_broker()
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        broker.join("ingest", fail_fast=True)
        worker.join()
    finally:
        worker.stop()


@pytest.fixture
def stub_broker():
    broker = dramatiq.get_broker()
    broker.flush_all()
    yield broker
    broker.flush_all()


# ----------------------------------------------------------------------------- request side


@pytest.mark.django_db
@pytest.mark.parametrize("hmac_sha256", [False, True])
def test_valid_push_is_acknowledged_archived_and_enqueued(client, stub_broker, hmac_sha256):
    make_platform_shop("douyin")
    body = paid_push()
    response = client.generic("POST", URL, body, content_type="application/json",
                              **douyin_push_headers(body, hmac_sha256=hmac_sha256))
    assert (response.status_code, response.json()) == (200, ACK)
    row = InboundMessage.objects.get()
    assert (row.platform, row.topic, row.channel_order_id) == ("douyin", "101", ORDER_ID)
    assert (row.signature_ok, row.outcome, row.kind) == (True, "pending", "push")
    assert row.headers["app-id"] == SHOPS["douyin"][1]
    assert json.loads(bytes(row.body))["tag"] == 101  # the message's own raw text
    # Enqueued only after commit: the test transaction is still open.
    assert stub_broker.queues["ingest"].qsize() == 0


@pytest.mark.django_db
def test_wrong_signature_is_401_and_archived_without_effect(client, stub_broker):
    make_platform_shop("douyin")
    body = paid_push()
    response = client.generic("POST", URL, body, content_type="application/json",
                              **douyin_push_headers(body, secret="not-the-secret"))
    assert response.status_code == 401 and response.json()["code"] == "invalid_signature"
    row = InboundMessage.objects.get()
    assert (row.signature_ok, row.outcome, bytes(row.body)) == (False, "rejected", body)
    assert not Order.objects.exists()
    # Tampered body, right app id: also refused; wrong app-id: also refused.
    assert push(client, body, HTTP_EVENT_SIGN="0" * 32).status_code == 401
    assert push(client, body, HTTP_APP_ID="someone-else").status_code == 401


@pytest.mark.django_db
def test_unknown_shop_is_404(client):
    make_platform_shop("douyin")
    body = paid_push()
    response = client.generic("POST", "/hooks/douyin/nope/", body, content_type="application/json",
                              **douyin_push_headers(body))
    assert response.status_code == 404 and response.json()["code"] == "unknown_shop"


@pytest.mark.django_db
def test_unknown_and_product_tags_are_acknowledged_and_archived(client, stub_broker):
    make_platform_shop("douyin")
    body = douyin_push_body(
        {"tag": 400, "msg_id": "m-product", "data": {"product_id": 3612345678901234567}},
        {"tag": "9999", "msg_id": "m-unknown", "data": "{}"},
        {"tag": 0, "msg_id": "0", "data": "{}"},  # the platform's URL check message
    )
    response = push(client, body)
    assert (response.status_code, response.json()) == (200, ACK)
    assert sorted(InboundMessage.objects.values_list("topic", "outcome")) == [
        ("0", "ignored"), ("400", "ignored"), ("9999", "ignored")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'[{"tag": 101, "msg_id": "x", "data": "{\\"p_id\\": 47', 400, "malformed_json"),
        (b'[{"tag": 101, "msg_id": "\xff"}]', 400, "invalid_encoding"),
        (b'"just a string"', 400, "malformed_json"),
        (b"", 400, "malformed_json"),
    ],
)
def test_malformed_signed_body_is_4xx_and_archived(client, body, status, code):
    make_platform_shop("douyin")
    response = push(client, body)
    assert response.status_code == status and response.json()["code"] == code
    assert InboundMessage.objects.get().outcome == "rejected"
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_bad_elements_are_archived_as_rejected_and_the_rest_acknowledged(client, stub_broker):
    make_platform_shop("douyin")
    body = json.dumps([
        {"tag": 101, "msg_id": "a", "data": "{\"p_id\": 1.5e18}"},
        {"tag": 106, "msg_id": "b", "data": "{not json"},
        {"tag": [1], "msg_id": "c"},
        "not an object",
        {"tag": 106, "msgId": "d", "data": {"p_id": "4781320682406083640", "cancel_reason": "拍错了"}},
    ]).encode()
    response = push(client, body)
    assert (response.status_code, response.json()) == (200, ACK)
    outcomes = list(InboundMessage.objects.order_by("id").values_list("msg_id", "outcome"))
    assert outcomes == [("a", "rejected"), ("b", "rejected"), ("", "rejected"), ("", "rejected"),
                        ("d", "pending")]


@pytest.mark.django_db
@override_settings(LIUZHUAN_MAX_BODY_BYTES=1000)
def test_huge_push_is_413(client):
    make_platform_shop("douyin")
    body = b"[" + b'{"tag": 999, "msg_id": "x", "data": "' + b"a" * 5000 + b'"}]'
    response = push(client, body)
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


@pytest.mark.django_db
def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_repeated_message_id_is_archived_once(client, stub_broker):
    make_platform_shop("douyin")
    body = paid_push()
    for _ in range(3):
        assert push(client, body).json() == ACK
    row = InboundMessage.objects.get()
    assert row.seen_count == 3


# ----------------------------------------------------------------------------- worker side


@pytest.fixture
def gateway_shop(live_server):
    return make_platform_shop("douyin", api_base_url=f"{live_server.url}/sandbox/douyin")


@pytest.mark.django_db(transaction=True)
def test_push_then_detail_fetch_creates_the_order(gateway_shop, stub_broker):
    sandbox_document_put(platform="douyin", app_key=gateway_shop.app_key, order_id=ORDER_ID,
                         body=douyin_detail(ORDER_ID, refund_line=True,
                                            lines=[("SERUM-30ML", 2, 12900), ("MASK-5P", 1, 3990)],
                                            pay_amount=27790))
    response = push(Client(), paid_push())
    assert (response.status_code, response.json()) == (200, ACK)
    assert not Order.objects.exists()  # nothing changes before the detail fetch

    run_worker()

    order = Order.objects.get(channel_order_id=ORDER_ID)
    assert order.shop == gateway_shop and order.receiver_masked
    assert str(order.paid_amount) == "277.90" and order.channel_status == "2"
    assert [line.refund_status for line in order.lines.order_by("line_no")] == ["none", "refunded"]
    row = InboundMessage.objects.get()
    assert (row.outcome, row.order_id, row.attempts) == ("applied", order.pk, 1)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_copies_make_one_order_and_one_created_event(gateway_shop, stub_broker):
    sandbox_document_put(platform="douyin", app_key=gateway_shop.app_key, order_id=ORDER_ID,
                         body=douyin_detail(ORDER_ID))
    body = paid_push()
    barrier, results = threading.Barrier(20), []

    def send():
        try:
            barrier.wait()
            results.append(push(Client(), body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 20
    assert InboundMessage.objects.get().seen_count == 20

    run_worker()
    assert Order.objects.filter(channel_order_id=ORDER_ID).count() == 1
    assert OrderEvent.objects.filter(type="order.created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_different_messages_for_one_order_make_one_order(gateway_shop, stub_broker):
    """Twenty distinct tags/msg ids for one order processed at once: still one order."""
    sandbox_document_put(platform="douyin", app_key=gateway_shop.app_key, order_id=ORDER_ID,
                         body=douyin_detail(ORDER_ID))
    for i in range(20):
        assert push(Client(), paid_push(msg_id=f"m-{i}")).status_code == 200
    ids = list(InboundMessage.objects.values_list("id", flat=True))
    stub_broker.flush_all()
    barrier = threading.Barrier(len(ids))

    def process(pk):
        try:
            barrier.wait()
            inbound_message_process(message_id=pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=process, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Order.objects.count() == 1
    assert OrderEvent.objects.filter(type="order.created").count() == 1
    outcomes = sorted(InboundMessage.objects.values_list("outcome", flat=True))
    assert outcomes.count("applied") == 1 and outcomes.count("duplicate") == 19


@pytest.mark.django_db(transaction=True)
def test_gateway_failure_is_a_dead_letter_and_replay_applies_it(gateway_shop, live_server, stub_broker):
    gateway_shop.api_base_url = "http://127.0.0.1:9/"  # nothing listens there
    gateway_shop.save()
    push(Client(), paid_push())
    row = InboundMessage.objects.get()
    with pytest.raises(GatewayError):
        inbound_message_process(message_id=row.pk)
    row.refresh_from_db()
    assert row.outcome == "failed" and row.error.startswith("gateway:") and not Order.objects.exists()

    gateway_shop.api_base_url = f"{live_server.url}/sandbox/douyin"
    gateway_shop.save()
    sandbox_document_put(platform="douyin", app_key=gateway_shop.app_key, order_id=ORDER_ID,
                         body=douyin_detail(ORDER_ID))
    stub_broker.flush_all()
    inbound_message_replay(message_id=row.pk)
    row.refresh_from_db()
    assert row.outcome == "pending"
    run_worker()
    row.refresh_from_db()
    assert row.outcome == "applied" and row.order.channel_order_id == ORDER_ID


@pytest.mark.django_db(transaction=True)
def test_sandbox_refuses_a_wrong_api_signature(gateway_shop, stub_broker):
    from channels_adapters.platforms import get_platform

    sandbox_document_put(platform="douyin", app_key=gateway_shop.app_key, order_id=ORDER_ID,
                         body=douyin_detail(ORDER_ID))
    platform = get_platform("douyin")
    assert b'"code":10000' in platform.fetch_order_detail(shop=gateway_shop, channel_order_id=ORDER_ID)
    gateway_shop.app_secret = "wrong"
    with pytest.raises(GatewayError, match="40004"):
        platform.fetch_order_detail(shop=gateway_shop, channel_order_id=ORDER_ID)
    gateway_shop.app_secret = SHOPS["douyin"][2]
    with pytest.raises(GatewayError, match="50002"):
        platform.fetch_order_detail(shop=gateway_shop, channel_order_id="4781320682406089999")


@pytest.mark.django_db
def test_forged_push_cannot_be_replayed(client):
    make_platform_shop("douyin")
    body = paid_push()
    client.generic("POST", URL, body, content_type="application/json",
                   **douyin_push_headers(body, secret="forged"))
    from core.errors import Conflict

    with pytest.raises(Conflict):
        inbound_message_replay(message_id=InboundMessage.objects.get().pk)
