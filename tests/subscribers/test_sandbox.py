"""Sandbox ERP / WMS / CRM receivers end to end over a live server, and their modes."""

from __future__ import annotations

import json
import time

import pytest

from channels_adapters.subscribers.models import Delivery, ReceivedWebhook, SandboxReceiver
from channels_adapters.subscribers.services.relay import deliveries_relay
from channels_adapters.subscribers.services.seed import subscribers_seed_demo
from channels_adapters.subscribers.signing import signature_for
from orders.services.transitions import order_transition

from .helpers import ingest


@pytest.mark.django_db(transaction=True)
def test_demo_receivers_verify_and_record_every_delivery(live_server):
    subs = subscribers_seed_demo(live_server.url)
    assert subscribers_seed_demo(live_server.url)[0].pk == subs[0].pk  # idempotent
    SandboxReceiver.objects.filter(name="crm").update(mode="503", fail_next=2)
    orders = ingest(3, status="pending_payment")
    for order in orders:
        order_transition(oid=order.oid, name="pay", actor=None)
        order.refresh_from_db()
        if order.status == "paid":
            order_transition(oid=order.oid, name="approve", actor=None)
    deadline = time.monotonic() + 20
    while Delivery.objects.filter(status__in=["pending", "sending"]).exists():
        deliveries_relay(budget=5)
        assert time.monotonic() < deadline
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    received = ReceivedWebhook.objects.all()
    assert received.filter(signature_ok=False).count() == 0
    assert received.filter(receiver__name="crm", answered=503).count() == 2
    for name in ("erp", "wms", "crm"):
        ok = received.filter(receiver__name=name, answered=200)
        assert ok.count() == Delivery.objects.filter(subscription__url__contains=f"/{name}/").count() > 0
    wms = [json.loads(r.body) for r in received.filter(receiver__name="wms", answered=200)]
    assert all(len(b["data"]["order_number"]) == 18 for b in wms)
    erp = json.loads(received.filter(receiver__name="erp").first().body)
    assert "lines" in erp["data"]
    assert SandboxReceiver.objects.get(name="crm").mode == "ok"


@pytest.mark.django_db
def test_receiver_modes_and_signature_check(client):
    SandboxReceiver.objects.create(name="erp", secret="x" * 20, mode="400")
    body = json.dumps({"id": "e1", "type": "order.paid", "oid": None, "data": {}}).encode()
    ts = str(int(time.time()))

    def post(signature, timestamp=ts):
        return client.post("/sandbox/receivers/erp/", body, content_type="application/json",
                           HTTP_X_LIUZHUAN_TIMESTAMP=timestamp,
                           HTTP_X_LIUZHUAN_SIGNATURE=signature)

    assert post(signature_for("x" * 20, ts, body)).status_code == 400
    assert post("sha256=deadbeef").status_code == 401
    old = str(int(time.time()) - 301)
    assert post(signature_for("x" * 20, old, body), timestamp=old).status_code == 401
    SandboxReceiver.objects.filter(name="erp").update(mode="ok")
    assert post(signature_for("x" * 20, ts, body)).status_code == 200
    assert list(ReceivedWebhook.objects.order_by("id").values_list("answered", "signature_ok")) == [
        (400, True), (401, False), (401, False), (200, True)]
    listed = client.get("/sandbox/receivers/erp/").json()
    assert len(listed["received"]) == 4
    assert client.post("/sandbox/receivers/nope/", body,
                       content_type="application/json").status_code == 404
