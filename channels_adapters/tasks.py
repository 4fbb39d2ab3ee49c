"""Actors of the channel adapters — thin: load by id, call one service."""

from __future__ import annotations

import dramatiq

from channels_adapters.services.inbound import inbound_message_process


@dramatiq.actor(queue_name="ingest", max_retries=6, min_backoff=2_000, max_backoff=300_000,
                time_limit=60_000)
def inbound_message_process_task(message_id: int) -> None:
    """Fetch the order detail for an archived message and ingest it (retries gateway errors)."""
    inbound_message_process(message_id=message_id)
