"""Taobao TMC listener: consume → archive (dedupe) → detail fetch → ingest → confirm; restarts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from channels_adapters import clock
from channels_adapters.models import InboundMessage, SandboxMessage
from channels_adapters.sandbox.engine import Chaos, sandbox_order_apply, sandbox_order_create
from channels_adapters.services.tmc import tmc_round
from orders.models import Order, OrderEvent

pytestmark = pytest.mark.django_db


def test_thin_messages_are_fetched_ingested_and_confirmed(shops, inproc, rng):
    tb = shops["taobao"]
    state = sandbox_order_create(shop=tb, rng=rng, stage="paid")
    sandbox_order_apply(shop=tb, order_id=state["id"], rng=rng, stage="shipped")
    result = tmc_round(shop=tb, inline=True)
    assert (result.consumed, result.new, result.confirmed) == (2, 2, 2)
    order = Order.objects.get(shop=tb, channel_order_id=state["id"])
    assert order.channel_status == "WAIT_BUYER_CONFIRM_GOODS" and order.tracking_no
    assert sorted(InboundMessage.objects.values_list("outcome", flat=True)) in (
        ["applied", "duplicate"], ["applied", "applied"])
    assert not SandboxMessage.objects.filter(confirmed_at__isnull=True).exists()
    assert tmc_round(shop=tb, inline=True).consumed == 0


def test_a_listener_that_dies_before_confirming_gets_the_messages_again(shops, inproc, rng):
    tb = shops["taobao"]
    ids = [sandbox_order_create(shop=tb, rng=rng)["id"] for _ in range(5)]
    crashed = tmc_round(shop=tb, inline=True, confirm=False)
    assert crashed.new == 5 and crashed.confirmed == 0
    assert tmc_round(shop=tb, inline=True).consumed == 0  # still in flight at the platform
    clock.advance(timedelta(seconds=61))  # TMC redelivers what was never confirmed
    again = tmc_round(shop=tb, inline=True)
    assert (again.consumed, again.new, again.duplicates, again.confirmed) == (5, 0, 5, 5)
    assert Order.objects.filter(shop=tb).count() == 5
    assert OrderEvent.objects.filter(type="order.created").count() == 5
    assert set(InboundMessage.objects.values_list("seen_count", flat=True)) == {2}
    assert set(Order.objects.values_list("channel_order_id", flat=True)) == set(ids)


def test_duplicated_and_reordered_messages_end_in_the_latest_version(shops, inproc, rng):
    tb = shops["taobao"]
    chaos = Chaos(duplicate=1.0, max_delay=30, reorder=True)
    state = sandbox_order_create(shop=tb, rng=rng, stage="pending", chaos=chaos)
    for stage in ("paid", "shipped", "delivered"):
        state = sandbox_order_apply(shop=tb, order_id=state["id"], rng=rng, stage=stage, chaos=chaos)
    clock.advance(timedelta(seconds=31))
    tmc_round(shop=tb, inline=True)
    order = Order.objects.get(shop=tb)
    assert order.channel_status == "TRADE_BUYER_SIGNED" and order.status == "delivered"
    assert InboundMessage.objects.count() == 4
    assert sum(InboundMessage.objects.values_list("seen_count", flat=True)) == 8


def test_listen_channels_command_runs_a_round(shops, inproc, rng, capsys):
    sandbox_order_create(shop=shops["taobao"], rng=rng)
    call_command("listen_channels", "--once", "--inline")
    assert "1 consumed, 1 new" in capsys.readouterr().out
    assert Order.objects.filter(shop=shops["taobao"]).count() == 1


def test_non_order_topics_are_archived_and_ignored(shops, inproc):
    tb = shops["taobao"]
    SandboxMessage.objects.create(platform="taobao", app_key=tb.app_key, msg_id="6142200092063758446",
                                  topic="taobao_item_ItemAdd", order_id="", content='{"num_iid":1}',
                                  available_at=clock.now())
    assert tmc_round(shop=tb, inline=True).confirmed == 1
    assert InboundMessage.objects.get().outcome == "ignored"
