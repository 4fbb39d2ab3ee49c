"""Enqueueing helpers.  Direct ``.send()`` happens here (and in outbox relays) only."""

from __future__ import annotations

from functools import partial

from django.db import transaction


def enqueue_on_commit(actor, *args, **kwargs) -> None:
    """Send ``actor`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(actor.send, *args, **kwargs))
