"""Journeys: approve a second-level review order (two people); replay a dead letter."""

from __future__ import annotations

import pytest

from channels_adapters.models import InboundMessage
from channels_adapters.services.archive import inbound_message_archive
from orders.models import Order
from tests.factories.channels import make_platform_shop
from tests.factories.warehouses import make_order

from .conftest import login, logout, run_action, shot

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _approve_in_queue(page, order, expected_message: str) -> None:
    page.goto(page.base_url + "/admin/warehouses/revieworder/?level=second_review")
    page.check(f"input[name=_selected_action][value='{order.pk}']")
    run_action(page, "approve")
    assert expected_message in page.locator("ul.messagelist").inner_text()


def test_second_level_review_needs_two_people(page, staff):
    # Given a 60,000 yuan order the approval rules sent to second-level review
    order = make_order([("SKU-1", 1, "60000.00")])
    assert (order.status, order.hold_reason) == ("on_hold", "second_review")
    staff("alice")
    staff("bob")
    # When alice approves it in the review queue
    login(page, "alice")
    page.goto(page.base_url + "/admin/warehouses/revieworder/?level=second_review")
    assert order.channel_order_id in page.locator("#result_list").inner_text()
    shot(page, "05-review-queue")
    _approve_in_queue(page, order, "1 approval(s) recorded.")
    # Then it still waits for a second person; alice cannot be that person
    assert Order.objects.get(pk=order.pk).status == "on_hold"
    _approve_in_queue(page, order, "four_eyes")
    assert Order.objects.get(pk=order.pk).status == "on_hold"
    shot(page, "06-review-first-approval")
    logout(page)
    # When bob approves it too, the order is approved
    login(page, "bob")
    _approve_in_queue(page, order, "1 approval(s) recorded.")
    assert Order.objects.get(pk=order.pk).status == "approved"
    shot(page, "07-review-approved")


def test_replay_a_dead_lettered_message(page, staff):
    shop = make_platform_shop("douyin")
    failed, _ = inbound_message_archive(
        platform="douyin", kind="push", shop=shop, body=b'{"tag": 101}', headers={},
        topic="101", msg_id="m-dead", channel_order_id="4781320682406083640", signature_ok=True,
        outcome="failed", error="gateway: timed out")
    inbound_message_archive(
        platform="douyin", kind="push", shop=shop, body=b'{"tag": 101}', headers={},
        topic="101", msg_id="m-ok", channel_order_id="4781320682406083641", signature_ok=True,
        outcome="applied", error="")
    staff("alice")
    login(page, "alice")
    page.goto(page.base_url + "/admin/channels_adapters/inboundmessage/")
    page.get_by_role("link", name="Failed (dead letters)").click()
    page.wait_for_url("**/admin/channels_adapters/inboundmessage/?dead=1")
    listing = page.locator("#result_list").inner_text()
    assert "gateway: timed out" in listing and "4781320682406083641" not in listing
    shot(page, "08-dead-letters")
    page.check(f"input[name=_selected_action][value='{failed.pk}']")
    run_action(page, "replay")
    assert "1 message queued for replay." in page.locator("ul.messagelist").inner_text()
    shot(page, "09-dead-letter-replayed")
    assert InboundMessage.objects.get(pk=failed.pk).outcome == "pending"
