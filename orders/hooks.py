"""Explicit extension points of the order services (no Django signals).

Other apps register handlers in their ``AppConfig.ready()``:

* ``on_status_changed(handler, many=None)``: ``handler(order, from_status, to_status, actor,
  source)`` runs *inside* the transaction of every status change, right after the timeline
  event is written. Use it for work that must commit or roll back together with the change
  (releasing reservations on a cancel); enqueue anything slow with
  ``core.tasks_util.enqueue_on_commit``.
* ``on_event_recorded(handler, many=None)``: ``handler(order, event)`` inside the
  transaction of every timeline event (e.g. the outbox writes its row there).

``many`` is an optional set-based twin of the handler for bulk paths (batch outbound moves
hundreds of orders in a few statements): ``many(changes, actor=, source=)`` with a list of
``StatusChange``, or ``many(pairs)`` with a list of ``(order, event)``. It must have exactly
the effect of calling the handler once per item; without one, the handler is called per item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StatusChange:
    order: object
    from_status: str | None
    to_status: str


@dataclass(frozen=True)
class _Registration:
    handler: Callable
    many: Callable | None


_status_changed: list[_Registration] = []
_event_recorded: list[_Registration] = []


def _register(registry: list[_Registration], handler, many) -> None:
    if all(r.handler is not handler for r in registry):
        registry.append(_Registration(handler, many))


def on_status_changed(handler, *, many=None):
    _register(_status_changed, handler, many)
    return handler


def on_event_recorded(handler, *, many=None):
    _register(_event_recorded, handler, many)
    return handler


def status_changed(**kwargs) -> None:
    for registration in list(_status_changed):
        registration.handler(**kwargs)


def event_recorded(**kwargs) -> None:
    for registration in list(_event_recorded):
        registration.handler(**kwargs)


def statuses_changed_many(changes: list[StatusChange], *, actor, source: str) -> None:
    """``status_changed`` for many orders at once (set-based twins where registered)."""
    if not changes:
        return
    for registration in list(_status_changed):
        if registration.many is not None:
            registration.many(changes, actor=actor, source=source)
            continue
        for change in changes:
            registration.handler(order=change.order, from_status=change.from_status,
                                 to_status=change.to_status, actor=actor, source=source)


def events_recorded_many(pairs: list[tuple]) -> None:
    """``event_recorded`` for many ``(order, event)`` pairs at once."""
    if not pairs:
        return
    for registration in list(_event_recorded):
        if registration.many is not None:
            registration.many(pairs)
            continue
        for order, event in pairs:
            registration.handler(order=order, event=event)
