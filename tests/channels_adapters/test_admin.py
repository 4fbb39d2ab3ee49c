"""Admin: dead-letter list, replay action, redacted body, group permissions."""

from __future__ import annotations

import dramatiq
import pytest

from channels_adapters.models import InboundMessage
from channels_adapters.services.archive import inbound_message_archive
from tests.factories.channels import fixture_bytes, make_platform_shop

pytestmark = pytest.mark.django_db
URL = "/admin/channels_adapters/inboundmessage/"


def dead_letter(shop, **extra):
    row, _ = inbound_message_archive(
        platform="douyin", kind="push", shop=shop, body=b'{"tag": 101}', headers={},
        topic="101", msg_id=extra.pop("msg_id", "m-1"), channel_order_id="4781320682406083640",
        signature_ok=True, outcome=extra.pop("outcome", "failed"), error="gateway: timed out", **extra,
    )
    return row


def test_dead_letter_list_and_replay_action(client, admin_user, django_capture_on_commit_callbacks):
    shop = make_platform_shop("douyin")
    failed = dead_letter(shop)
    applied = dead_letter(shop, msg_id="m-2", outcome="applied")
    client.force_login(admin_user)
    page = client.get(URL, {"dead": "1"})
    assert page.status_code == 200
    assert b"gateway: timed out" in page.content and b"m-2" not in page.content

    broker = dramatiq.get_broker()
    broker.flush_all()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"action": "replay", "_selected_action": [failed.pk, applied.pk]},
                               follow=True)
    text = response.content.decode()
    assert "1 message queued for replay" in text and "1 message skipped" in text
    failed.refresh_from_db()
    assert failed.outcome == "pending" and broker.queues["ingest"].qsize() == 1
    broker.flush_all()


def test_detail_redacts_personal_data(client, admin_user):
    shop = make_platform_shop("taobao")
    row, _ = inbound_message_archive(platform="taobao", kind="document", shop=shop,
                                     body=fixture_bytes("taobao_multiline_refund.json"), headers={},
                                     outcome="applied")
    client.force_login(admin_user)
    page = client.get(f"{URL}{row.pk}/change/")
    assert page.status_code == 200
    assert "[redacted]" in page.content.decode()
    assert "文***路**号****" not in page.content.decode()


def test_groups(client, group_user):
    shop = make_platform_shop("douyin")
    row = dead_letter(shop)
    client.force_login(group_user("warehouse"))
    assert client.get(URL).status_code == 200
    client.post(URL, {"action": "replay", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.outcome == "failed"  # warehouse may look, not replay
    ops = group_user("ops", username="ops-1")
    assert ops.has_perm("channels_adapters.replay_inboundmessage")
    assert ops.has_perm("channels_adapters.ingest_document")
    assert InboundMessage.objects.count() == 1
