"""Reconciliation: missing and stale orders are fixed and every run is recorded; command and admin."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from channels_adapters import clock
from channels_adapters.models import ReconcileRun
from channels_adapters.sandbox.engine import sandbox_order_apply, sandbox_order_create
from channels_adapters.services.reconcile import reconcile_shop
from channels_adapters.services.tmc import tmc_round
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["taobao", "jd", "pdd", "douyin"])
def test_missing_and_stale_orders_are_found_fixed_and_recorded(name, shops, inproc, rng):
    shop = shops[name]
    ids = [sandbox_order_create(shop=shop, rng=rng, stage="paid")["id"] for _ in range(6)]
    clock.advance(timedelta(minutes=5))
    first = reconcile_shop(shop=shop, since=clock.now() - timedelta(hours=1))
    assert (first.checked, first.missing_found, first.missing_fixed, first.stale_found) == (6, 6, 6, 0)
    assert first.status == "done" and first.finished_at and first.errors == 0
    assert {g["order_id"] for g in first.gaps} == set(ids) and {g["kind"] for g in first.gaps} == {"missing"}

    for order_id in ids[:2]:  # the platform moves on; nobody tells us
        sandbox_order_apply(shop=shop, order_id=order_id, rng=rng, stage="shipped")
    clock.advance(timedelta(minutes=5))
    second = reconcile_shop(shop=shop, since=clock.now() - timedelta(hours=1))
    assert (second.missing_found, second.stale_found, second.stale_fixed) == (0, 2, 2)
    assert set(Order.objects.filter(shop=shop, status="shipped").values_list("channel_order_id", flat=True)) == set(ids[:2])

    third = reconcile_shop(shop=shop, since=clock.now() - timedelta(hours=1))
    assert (third.checked, third.missing_found, third.stale_found) == (6, 0, 0)


def test_gateway_errors_are_counted_and_the_run_is_failed(shops, inproc, rng):
    shop = shops["jd"]
    sandbox_order_create(shop=shop, rng=rng)
    shop.app_secret = "wrong"
    run = reconcile_shop(shop=shop, since=clock.now() - timedelta(hours=1))
    assert run.status == "failed" and run.errors == 1 and "Invalid signature" in run.error_log


def test_long_windows_are_split_into_the_platforms_allowed_windows(shops, inproc, rng, monkeypatch):
    from channels_adapters.platforms import get_platform

    platform = get_platform("pdd")
    calls = []
    original = platform.list_changed

    def spy(**kwargs):
        calls.append(kwargs["end"] - kwargs["start"])
        return original(**kwargs)

    monkeypatch.setattr(platform, "list_changed", spy)
    reconcile_shop(shop=shops["pdd"], since=clock.now() - timedelta(hours=3))
    assert len(calls) == 6 and max(calls) <= timedelta(minutes=30)


def test_reconcile_command(shops, inproc, rng, capsys):
    tb = shops["taobao"]
    sandbox_order_create(shop=tb, rng=rng)
    tmc_round(shop=tb, inline=True)
    lost = sandbox_order_create(shop=tb, rng=rng)  # its message will never be read
    call_command("reconcile", "--shop", tb.code, "--since", (clock.now() - timedelta(hours=2)).isoformat())
    out = capsys.readouterr().out
    assert f"{tb.code}:" in out and "checked 2, missing 1/1" in out
    assert Order.objects.filter(channel_order_id=lost["id"]).exists()
    run = ReconcileRun.objects.get()
    assert run.trigger == "command" and run.window_start == clock.now() - timedelta(hours=2)
    with pytest.raises(CommandError):
        call_command("reconcile", "--shop", "nope")
    with pytest.raises(CommandError):
        call_command("reconcile", "--since", "yesterday")


@pytest.fixture
def stub_broker():
    broker = dramatiq.get_broker()
    broker.flush_all()
    yield broker
    broker.flush_all()


def test_admin_lists_runs_read_only_and_runs_now(admin_client, shops, inproc, rng, stub_broker,
                                                  django_capture_on_commit_callbacks):
    lost = sandbox_order_create(shop=shops["douyin"], rng=rng)
    run = reconcile_shop(shop=shops["douyin"], since=clock.now() - timedelta(hours=1))
    changelist = reverse("admin:channels_adapters_reconcilerun_changelist")
    page = admin_client.get(changelist)
    assert page.status_code == 200 and b"Reconcile all shops now" in page.content
    detail = admin_client.get(reverse("admin:channels_adapters_reconcilerun_change", args=[run.pk]))
    assert detail.status_code == 200 and lost["id"].encode() in detail.content and b"missing" in detail.content
    assert admin_client.get(reverse("admin:channels_adapters_reconcilerun_add")).status_code == 403

    run_now = reverse("admin:channels_adapters_reconcilerun_run_now")
    assert admin_client.get(run_now).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(run_now).status_code == 302
    assert stub_broker.queues["sync"].qsize() == 4
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {"action": "run_again", "_selected_action": [run.pk]})
    assert stub_broker.queues["sync"].qsize() == 5

    cursors = reverse("admin:channels_adapters_pullcursor_changelist")
    assert admin_client.get(cursors).status_code == 200


def test_ops_may_run_reconciliation_warehouse_may_only_look(client, group_user, shops):
    run_now = reverse("admin:channels_adapters_reconcilerun_run_now")
    client.force_login(group_user("warehouse"))
    assert client.get(reverse("admin:channels_adapters_reconcilerun_changelist")).status_code == 200
    assert client.post(run_now).status_code == 403
    client.force_login(group_user("ops"))
    assert client.post(run_now).status_code == 302


def test_a_gap_reconciliation_cannot_close_raises_an_alert_that_a_later_fix_resolves(
        shops, inproc, rng, monkeypatch):
    from channels_adapters.platforms import GatewayError
    from orders.alerts.models import Alert
    from orders.alerts.services.detection import alerts_detect

    shop = shops["jd"]
    order_id = sandbox_order_create(shop=shop, rng=rng, stage="paid")["id"]
    clock.advance(timedelta(minutes=5))
    reconcile_shop(shop=shop, since=clock.now() - timedelta(hours=1))
    sandbox_order_apply(shop=shop, order_id=order_id, rng=rng, stage="shipped")
    clock.advance(timedelta(minutes=5))

    from channels_adapters.services import sync

    original = sync._document

    def broken(*args, **kwargs):
        raise GatewayError("detail endpoint down")

    monkeypatch.setattr(sync, "_document", broken)
    run = reconcile_shop(shop=shop, since=clock.now() - timedelta(hours=1))
    assert run.stale_found == 1 and run.stale_fixed == 0
    alerts_detect(kinds=["reconcile_gap"])
    alert = Alert.objects.get(kind="reconcile_gap", order__channel_order_id=order_id)
    assert alert.resolved_at is None

    monkeypatch.setattr(sync, "_document", original)
    run = reconcile_shop(shop=shop, since=clock.now() - timedelta(hours=1))
    assert run.stale_fixed == 1
    alerts_detect(kinds=["reconcile_gap"])
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert Order.objects.get(shop=shop, channel_order_id=order_id).status == "shipped"
