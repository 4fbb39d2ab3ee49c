"""Enqueueing helpers.  Direct ``.send()`` happens here (and in outbox relays) only."""

from __future__ import annotations

from functools import partial

from django.db import transaction


def enqueue_on_commit(actor, *args, **kwargs) -> None:
    """Send ``actor`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(actor.send, *args, **kwargs))


def task_modules_import() -> None:
    """Import every app's ``tasks`` module, as a dramatiq worker does (actors register
    themselves and their queues; ``@schedule.every`` jobs too)."""
    import importlib

    from django.apps import apps

    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise


def declared_queues(*, exclude=()) -> list[str]:
    """Every queue of the project's actors, minus ``exclude``."""
    import dramatiq

    task_modules_import()
    return sorted(set(dramatiq.get_broker().get_declared_queues()) - set(exclude))
