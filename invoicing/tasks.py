"""Dramatiq actors: thin — load ids, call one service."""

from __future__ import annotations

import dramatiq

from invoicing.services.sending import invoice_send_now


@dramatiq.actor(queue_name="invoices", max_retries=20, time_limit=10 * 60 * 1000,
                min_backoff=2_000, max_backoff=120_000)
def invoice_send_task(invoice_id: int) -> None:
    """Send one queued invoice (blue or red); GatewayUnavailable re-raises → dramatiq retries."""
    invoice_send_now(invoice_id=invoice_id)
