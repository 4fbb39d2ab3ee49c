"""Coalesced actor messages: one queued run however many requests, never none."""

from __future__ import annotations

import dramatiq
import pytest

from core import coalesce


@dramatiq.actor(queue_name="default")
def _coalesce_probe_task() -> None:
    pass


def queued() -> int:
    return dramatiq.get_broker().queues["default"].qsize()


@pytest.fixture
def broker():
    broker = dramatiq.get_broker()
    broker.flush_all()
    coalesce.coalesced_started("probe")
    yield broker
    broker.flush_all()
    coalesce.coalesced_started("probe")


def test_a_burst_queues_one_message_and_a_started_run_lets_the_next_through(broker):
    assert [coalesce.coalesced_send(_coalesce_probe_task, name="probe") for _ in range(5)] == [
        True, False, False, False, False]
    assert queued() == 1
    coalesce.coalesced_started("probe")  # the run begins: later commits must reach a new run
    assert coalesce.coalesced_send(_coalesce_probe_task, name="probe") is True
    assert queued() == 2


def test_without_redis_every_request_sends(broker, settings):
    settings.DRAMATIQ_REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    coalesce.redis_client.cache_clear()
    try:
        assert coalesce.coalesced_send(_coalesce_probe_task, name="probe") is True
        assert coalesce.coalesced_send(_coalesce_probe_task, name="probe") is True
        coalesce.coalesced_started("probe")  # no error either
    finally:
        coalesce.redis_client.cache_clear()
    assert queued() == 2


def test_keys_are_per_database(settings):
    key = coalesce._key("probe")
    assert settings.DATABASES["default"]["NAME"] in key
