"""``Prefer: respond-async`` on the native-document endpoint: checked and archived at once
(202), ingested a page at a time by the ``documents`` worker."""

from __future__ import annotations

import threading

import dramatiq
import pytest
from django.db import connection

from channels_adapters.models import InboundMessage
from channels_adapters.services import inbound_queue
from channels_adapters.services.inbound_queue import (
    inbound_documents_drain,
    inbound_documents_run_page,
)
from channels_adapters.tasks import inbound_documents_drain_task
from core import coalesce
from orders.models import Order, OrderEvent
from tests.factories.channels import fixture_bytes, make_platform_shop
from tests.factories.orders import make_sku

from .test_native_batch import FIXTURES, comparable, refuse_order_trigger, single, taobao_doc

pytestmark = pytest.mark.django_db
ASYNC = {"HTTP_PREFER": "respond-async"}


def post_async(client, platform, body: bytes, shop: str, prefer: str = "respond-async"):
    return client.generic("POST", f"/api/v1/channels/{platform}/{shop}/orders/", body,
                          content_type="application/json", HTTP_PREFER=prefer)


@pytest.fixture
def broker():
    broker = dramatiq.get_broker()
    broker.flush_all()
    coalesce.coalesced_started(inbound_queue.KICK)
    yield broker
    broker.flush_all()
    coalesce.coalesced_started(inbound_queue.KICK)


def queued(broker) -> int:
    return broker.queues["documents"].qsize() if "documents" in broker.queues else 0


@pytest.mark.parametrize("platform", sorted(FIXTURES))
def test_accepted_documents_land_exactly_like_documents_ingested_at_once(
        admin_api, admin_user, platform, broker, django_capture_on_commit_callbacks):
    alone = make_platform_shop(platform, code=f"{platform}-alone")
    queued_shop = make_platform_shop(platform)
    make_sku("SERUM-30ML")
    make_sku("TEA-LJ")
    docs = [fixture_bytes(name) for name in FIXTURES[platform]]
    for doc in docs:
        assert single(admin_api, platform, doc, alone.code).status_code == 201

    answers = []
    for doc in docs:
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(post_async(admin_api, platform, doc, queued_shop.code))
    for response in answers:
        assert response.status_code == 202, response.content
        body = response.json()
        assert body["outcome"] == "pending" and body["oid"] is None and body["channel_order_id"]
        assert response["Location"] == body["status_url"]
        assert response["Preference-Applied"] == "respond-async"
    assert not Order.objects.filter(shop=queued_shop).exists()  # nothing before the worker runs
    assert queued(broker) == 1  # a burst asks for one run
    pending = admin_api.get(answers[0]["Location"]).json()
    assert pending == answers[0].json()  # the 202 answer is the status of the pending row

    assert inbound_documents_drain() == len(docs)
    for response in answers:
        status = admin_api.get(response["Location"]).json()
        assert status["outcome"] == "applied" and status["oid"], status
        a = Order.objects.get(shop=alone, channel_order_id=status["channel_order_id"])
        b = Order.objects.get(shop=queued_shop, oid=status["oid"])
        assert comparable(a) == comparable(b)
        # The poster is on the timeline, as when the document is ingested at once.
        assert set(OrderEvent.objects.filter(order=b).values_list("actor", flat=True)) == {admin_user.pk}
    rows = InboundMessage.objects.filter(shop=queued_shop).order_by("id")
    assert [bytes(r.body) for r in rows] == docs  # each kept as it arrived
    assert {(r.attempts, r.processed_at is not None, r.actor_id) for r in rows} == {(1, True, admin_user.pk)}


def test_bad_documents_are_still_refused_at_once(admin_api, broker):
    make_platform_shop("taobao")
    truncated = taobao_doc("510000000000000001")[:-30]
    response = post_async(admin_api, "taobao", truncated, "tb-flagship")
    assert (response.status_code, response.json()["code"]) == (400, "malformed_json")
    not_an_order = b'{"trade_fullinfo_get_response": {"trade": {"tid": "1"}}}'
    assert post_async(admin_api, "taobao", not_an_order, "tb-flagship").status_code == 400
    assert post_async(admin_api, "taobao", taobao_doc("510000000000000002"), "nope").status_code == 404
    assert list(InboundMessage.objects.values_list("outcome", flat=True)) == ["rejected"] * 3
    assert inbound_documents_drain() == 0 and not Order.objects.exists()
    assert queued(broker) == 0


def test_a_broker_outage_still_accepts_and_the_scheduled_run_ingests(admin_api, broker, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    make_platform_shop("taobao")

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(inbound_documents_drain_task, "send", down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_async(admin_api, "taobao", taobao_doc("580000000000000001"), "tb-flagship")
    assert response.status_code == 202 and queued(broker) == 0
    inbound_documents_drain_task.fn()  # what the scheduler runs every 30 s
    assert Order.objects.filter(channel_order_id="580000000000000001").exists()


def test_runs_at_the_same_time_are_bounded(admin_api):
    """A run that finds every slot taken ends at once; the running ones take the documents."""
    make_platform_shop("taobao")
    post_async(admin_api, "taobao", taobao_doc("590000000000000001"), "tb-flagship")
    other = connection.copy()  # other workers' runs, holding every slot
    keys = [inbound_queue._slot_key(slot) for slot in range(inbound_queue.RUNS)]
    try:
        with other.cursor() as cursor:
            for key in keys:
                cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
        assert inbound_documents_drain() == 0
        assert not Order.objects.exists()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [keys[-1]])
        assert inbound_documents_drain() == 1  # one slot free again
    finally:
        other.close()
    assert Order.objects.filter(channel_order_id="590000000000000001").exists()


def test_other_preferences_alone_keep_the_synchronous_answer(admin_api):
    make_platform_shop("taobao")
    response = post_async(admin_api, "taobao", taobao_doc("520000000000000001"), "tb-flagship",
                          prefer="return=minimal")
    assert response.status_code == 201 and response.json()["status"]
    response = post_async(admin_api, "taobao", taobao_doc("520000000000000002"), "tb-flagship",
                          prefer="return=minimal, Respond-Async; wait=5")
    assert response.status_code == 202


def test_versions_of_one_order_in_one_page_end_in_the_newest(admin_api):
    make_platform_shop("taobao")
    docs = [
        taobao_doc("530000000000000001", modified="2026-11-12 10:00:00", status="WAIT_BUYER_CONFIRM_GOODS"),
        taobao_doc("530000000000000001"),  # older: stale
        taobao_doc("530000000000000002"),
        taobao_doc("530000000000000002"),  # the same version again: duplicate
    ]
    ids = [post_async(admin_api, "taobao", d, "tb-flagship").json()["message_id"] for d in docs]
    assert inbound_documents_run_page() == 4
    outcomes = dict(InboundMessage.objects.values_list("id", "outcome"))
    assert [outcomes[i] for i in ids] == ["applied", "stale", "applied", "duplicate"]
    assert Order.objects.get(channel_order_id="530000000000000001").status == "shipped"
    assert OrderEvent.objects.filter(type="order.created").count() == 2


def test_a_page_failure_leaves_one_dead_letter_and_replay_applies_it(admin_api, broker):
    from channels_adapters.services.inbound import inbound_message_process, inbound_message_replay

    make_platform_shop("taobao")
    refuse_order_trigger("540000000000000002")
    for i in (1, 2, 3):
        assert post_async(admin_api, "taobao", taobao_doc(f"54000000000000000{i}"), "tb-flagship").status_code == 202
    assert inbound_documents_run_page() == 3
    assert set(Order.objects.values_list("channel_order_id", flat=True)) == {
        "540000000000000001", "540000000000000003"}
    failed = InboundMessage.objects.get(outcome="failed")
    assert failed.channel_order_id == "540000000000000002" and "refused by test trigger" in failed.error
    assert inbound_documents_run_page() == 0  # a dead letter is not taken again by itself
    status = admin_api.get(f"/api/v1/channels/messages/{failed.pk}/").json()
    assert status["outcome"] == "failed" and status["error"].startswith("ingest_failed: ")
    assert "trigger" not in status["error"]  # database internals stay in the admin

    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER test_refuse_order ON orders_order")
    inbound_message_replay(message_id=failed.pk)
    assert inbound_documents_run_page() == 0  # the replay goes through its own actor
    inbound_message_process(message_id=failed.pk)
    failed.refresh_from_db()
    assert failed.outcome == "applied" and failed.order.channel_order_id == "540000000000000002"


def test_a_page_that_meets_a_deadlock_goes_again_as_a_page(admin_api, monkeypatch):
    """The first try dies as a deadlock victim would (SQLSTATE 40P01, raised by the
    database): the page goes again whole — no dead letter, no document-by-document."""
    make_platform_shop("taobao")
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE SEQUENCE test_deadlock_once;
            CREATE FUNCTION test_deadlock_once() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('test_deadlock_once') = 1 THEN
                    RAISE EXCEPTION 'deadlock detected (test)' USING ERRCODE = '40P01';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_deadlock_once BEFORE INSERT ON orders_order
                FOR EACH ROW EXECUTE FUNCTION test_deadlock_once();""")
    alone = []
    monkeypatch.setattr(inbound_queue, "_ingest_alone", lambda pk: alone.append(pk) or 1)
    for i in (1, 2, 3):
        post_async(admin_api, "taobao", taobao_doc(f"56000000000000000{i}"), "tb-flagship")
    assert inbound_documents_run_page() == 3
    assert alone == []
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {"applied"}
    assert Order.objects.filter(channel_order_id__startswith="5600").count() == 3


def test_status_endpoint_permissions(django_user_model, admin_api):
    from rest_framework.test import APIClient

    api_client = APIClient()
    make_platform_shop("taobao")
    message_id = post_async(admin_api, "taobao", taobao_doc("550000000000000001"), "tb-flagship").json()["message_id"]
    url = f"/api/v1/channels/messages/{message_id}/"
    assert api_client.get(url).status_code in (401, 403)
    nobody = django_user_model.objects.create_user("nobody", password="pw")
    api_client.force_authenticate(nobody)
    assert api_client.get(url).status_code == 403
    assert admin_api.get(url).json()["outcome"] == "pending"
    assert admin_api.get("/api/v1/channels/messages/999999/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_take_each_document_once(admin_user):
    """Four runs drain 60 pending documents (20 orders, three versions each) at once: each
    document is taken by one run, each order exists once with one ``order.created``."""
    from rest_framework.test import APIClient

    make_platform_shop("taobao")
    client = APIClient()
    client.force_authenticate(admin_user)
    for version in ("2026-11-11 09:30:00", "2026-11-12 09:30:00", "2026-11-10 09:30:00"):
        for n in range(20):
            doc = taobao_doc(f"56000000000000{n:04d}", modified=version)
            assert post_async(client, "taobao", doc, "tb-flagship").status_code == 202
    errors, taken, barrier = [], [], threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            while n := inbound_documents_run_page(limit=7):
                taken.append(n)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sum(taken) == 60
    rows = InboundMessage.objects.all()
    assert {r.attempts for r in rows} == {1}
    assert {r.outcome for r in rows} <= {"applied", "stale"}
    assert Order.objects.count() == 20
    assert OrderEvent.objects.filter(type="order.created").count() == 20
    assert set(Order.objects.values_list("channel_modified_at__day", flat=True)) == {12}


@pytest.mark.django_db(transaction=True)
def test_a_worker_ingests_what_the_endpoint_accepted(admin_user, broker):
    """Through a real dramatiq worker: the commit's coalesced message reaches the drain."""
    from rest_framework.test import APIClient

    make_platform_shop("taobao")
    client = APIClient()
    client.force_authenticate(admin_user)
    for n in range(5):
        assert post_async(client, "taobao", taobao_doc(f"57000000000000000{n}"), "tb-flagship").status_code == 202
    assert queued(broker) >= 1
    worker = dramatiq.Worker(broker, worker_timeout=100, queues={"documents"})
    worker.start()
    try:
        broker.join("documents", fail_fast=True)
        worker.join()
    finally:
        worker.stop()
    assert Order.objects.filter(channel_order_id__startswith="5700").count() == 5
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {"applied"}
    inbound_documents_drain_task.fn()  # the scheduled safety net finds nothing left
    assert Order.objects.count() == 5
