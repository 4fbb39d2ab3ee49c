"""Actors of the channel adapters — thin: load by id, call one service."""

from __future__ import annotations

import os
from datetime import datetime

import dramatiq
from django.conf import settings

from channels_adapters.services.inbound import inbound_message_process
from core import schedule


@dramatiq.actor(queue_name="ingest", max_retries=6, min_backoff=2_000, max_backoff=300_000,
                time_limit=60_000)
def inbound_message_process_task(message_id: int) -> None:
    """Fetch the order detail for an archived message and ingest it (retries gateway errors)."""
    inbound_message_process(message_id=message_id)


def _pull(channel: str) -> None:
    from channels_adapters.services.pull import channel_pull_all

    channel_pull_all(channel=channel)


@dramatiq.actor(queue_name="sync", max_retries=0, time_limit=300_000)
def channel_pull_shop_task(shop_id: int) -> None:
    """One shop's pull, started from the admin."""
    from channels_adapters.services.pull import channel_pull
    from orders.models import Shop

    channel_pull(shop=Shop.objects.get(pk=shop_id))


@schedule.every(seconds=60)
@dramatiq.actor(queue_name="sync", max_retries=0, time_limit=300_000)
def channel_pull_jd_task() -> None:
    """JD: incremental pull by modified time (no push transport)."""
    _pull("jd")


@schedule.every(seconds=60)
@dramatiq.actor(queue_name="sync", max_retries=0, time_limit=300_000)
def channel_pull_pdd_task() -> None:
    """PDD: incremental pull, window end 3 minutes behind now."""
    _pull("pdd")


@schedule.every(seconds=300)
@dramatiq.actor(queue_name="sync", max_retries=0, time_limit=300_000)
def channel_pull_safety_net_task() -> None:
    """Taobao and Douyin push; this pull catches what a push lost."""
    _pull("taobao")
    _pull("douyin")


@schedule.every(seconds=3600)
@dramatiq.actor(queue_name="sync", max_retries=0, time_limit=1_800_000)
def reconcile_task() -> None:
    """Hourly: compare the last 24 hours of every shop's list with what we hold."""
    from datetime import timedelta

    from channels_adapters.services.reconcile import reconcile_all

    reconcile_all(trigger="schedule", settle=timedelta(minutes=5))


@dramatiq.actor(queue_name="sync", max_retries=0, time_limit=1_800_000)
def reconcile_shop_task(shop_id: int, since_iso: str | None = None, actor_id: int | None = None) -> None:
    """One reconciliation started from the admin."""
    from django.contrib.auth import get_user_model

    from channels_adapters.services.reconcile import reconcile_shop
    from orders.models import Shop

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    since = datetime.fromisoformat(since_iso) if since_iso else None
    reconcile_shop(shop=Shop.objects.get(pk=shop_id), since=since, trigger="admin", actor=actor)


if settings.LIUZHUAN_SANDBOX:

    @schedule.every(seconds=5)
    @dramatiq.actor(queue_name="sync", max_retries=0, time_limit=60_000)
    def sandbox_douyin_pushes_send_task() -> None:
        """Sandbox only: the fake Doudian platform POSTs its queued pushes to our hook."""
        from channels_adapters.sandbox.engine import douyin_pushes_send

        default = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        douyin_pushes_send(base_url=getattr(settings, "LIUZHUAN_SANDBOX_PUSH_URL", default))


@schedule.every(seconds=30)
@dramatiq.actor(queue_name="documents", max_retries=5, time_limit=120_000)
def inbound_documents_drain_task() -> None:
    """Ingest the native documents accepted with ``Prefer: respond-async``, a page at a time
    (queued, coalesced, when documents arrive; every 30 s as a safety net)."""
    from channels_adapters.services.inbound_queue import inbound_documents_drain

    inbound_documents_drain()
