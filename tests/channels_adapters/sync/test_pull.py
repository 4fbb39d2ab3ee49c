"""Incremental pulls: cursors survive a 10-minute stop, failures keep the cursor, paging backwards."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from channels_adapters import clock
from channels_adapters.models import PullCursor, SandboxDocument
from channels_adapters.platforms import get_platform, http
from channels_adapters.sandbox import engine
from channels_adapters.sandbox.engine import sandbox_order_apply, sandbox_order_create
from channels_adapters.sandbox.inprocess import django_transport
from channels_adapters.services.pull import channel_pull
from orders.models import Order

pytestmark = pytest.mark.django_db


def up_to_date(shop) -> tuple[int, int]:
    """(orders we hold in the sandbox's latest version, sandbox orders)."""
    latest = dict(SandboxDocument.objects.filter(app_key=shop.app_key, platform=shop.channel)
                  .values_list("order_id", "modified"))
    held = dict(Order.objects.filter(shop=shop).values_list("channel_order_id", "channel_modified_at"))
    return sum(1 for k, v in latest.items() if held.get(k) == v), len(latest)


def test_pullers_stopped_for_ten_minutes_lose_nothing(shops, inproc, rng):
    jd, pdd = shops["jd"], shops["pdd"]
    for shop in (jd, pdd):
        assert channel_pull(shop=shop).error == ""
    positions = dict(PullCursor.objects.values_list("shop_id", "position"))

    ids = {jd.pk: [], pdd.pk: []}
    for _minute in range(10):  # the pullers are down; the platforms go on
        for shop in (jd, pdd):
            for _ in range(4):
                ids[shop.pk].append(sandbox_order_create(shop=shop, rng=rng)["id"])
            sandbox_order_apply(shop=shop, order_id=rng.choice(ids[shop.pk]), rng=rng)
        clock.advance(timedelta(minutes=1))
    assert dict(PullCursor.objects.values_list("shop_id", "position")) == positions  # nobody moved them

    # Restart.  JD is complete at once; PDD keeps its window end 3 minutes behind now.
    for shop in (jd, pdd):
        assert channel_pull(shop=shop).error == ""
    assert up_to_date(jd) == (40, 40)
    held, total = up_to_date(pdd)
    assert 0 < held < total == 40
    cursor = PullCursor.objects.get(shop=pdd)
    assert cursor.position == clock.now() - timedelta(minutes=3)

    clock.advance(timedelta(minutes=4))
    assert channel_pull(shop=pdd).error == ""
    assert up_to_date(pdd) == (40, 40)
    assert Order.objects.filter(shop__in=[jd, pdd]).count() == 80


def test_a_failing_pull_does_not_move_the_cursor(shops, inproc, rng):
    jd = shops["jd"]
    channel_pull(shop=jd)
    before = PullCursor.objects.get(shop=jd).position
    for _ in range(5):
        sandbox_order_create(shop=jd, rng=rng)
    clock.advance(timedelta(minutes=2))
    jd.access_token = "revoked"  # our copy only: the sandbox platform keeps the real one
    result = channel_pull(shop=jd)
    cursor = PullCursor.objects.get(shop=jd)
    assert "19" in result.error and cursor.position == before and "access_token" in cursor.last_error
    assert not Order.objects.filter(shop=jd).exists()

    jd.access_token = "jd-token-1"
    clock.advance(timedelta(minutes=1))
    assert channel_pull(shop=jd).error == ""
    cursor.refresh_from_db()
    assert cursor.position == clock.now() and cursor.last_error == "" and cursor.orders_ingested == 5
    assert up_to_date(jd) == (5, 5)


def test_a_busy_cursor_is_not_pulled_twice(shops, inproc):
    pdd = shops["pdd"]
    channel_pull(shop=pdd)
    PullCursor.objects.filter(shop=pdd).update(leased_until=clock.now() + timedelta(minutes=1))
    assert channel_pull(shop=pdd).busy


@pytest.mark.parametrize("backwards, complete", [(True, True), (False, False)])
def test_paging_backwards_survives_orders_changing_while_we_page(backwards, complete, shops, inproc, rng,
                                                                 monkeypatch):
    """The reason Taobao and PDD say "page from the last page": with forward paging an order
    modified between two page calls leaves the window and shifts the rest past us."""
    pdd = shops["pdd"]
    monkeypatch.setattr(engine, "PDD_INDEX_LAG", 0)
    channel_pull(shop=pdd)
    start = clock.now()
    ids = []
    for _ in range(150):
        ids.append(sandbox_order_create(shop=pdd, rng=rng, stage="paid")["id"])
        clock.advance(timedelta(seconds=2))
    end = clock.now()
    clock.advance(timedelta(minutes=4))
    platform = get_platform("pdd")
    monkeypatch.setattr(platform, "pull_rules", dataclasses.replace(platform.pull_rules, backwards=backwards))
    calls = []

    def transport(url, body, headers, timeout):
        answer = django_transport(url, body, headers, timeout)
        calls.append(1)
        if len(calls) == 1:  # after the first page call: 30 of the oldest orders change
            for order_id in ids[:30]:
                sandbox_order_apply(shop=pdd, order_id=order_id, rng=rng, stage="shipped")
        return answer

    from channels_adapters.services.sync import list_window

    with http.using_transport(transport):
        listed = {x.order_id for x in list_window(platform=platform, shop=pdd, start=start, end=end)}
    assert (listed == set(ids)) is complete
