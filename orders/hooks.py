"""Explicit extension points of the order services (no Django signals).

Other apps register handlers in their ``AppConfig.ready()``:

* ``status_changed`` handlers run *inside* the transaction of every status change,
  right after the timeline event is written, with
  ``(order, from_status, to_status, actor, source)``.  Use them for work that must
  commit or roll back together with the change (releasing reservations on a
  cancel); enqueue anything slow with ``core.tasks_util.enqueue_on_commit``.
* ``event_recorded`` handlers run inside the transaction for every timeline
  event (e.g. the outbox writes its row there).
"""

from __future__ import annotations

from collections.abc import Callable

StatusChanged = Callable[..., None]
EventRecorded = Callable[..., None]

_status_changed: list[StatusChanged] = []
_event_recorded: list[EventRecorded] = []


def on_status_changed(handler: StatusChanged) -> StatusChanged:
    if handler not in _status_changed:
        _status_changed.append(handler)
    return handler


def on_event_recorded(handler: EventRecorded) -> EventRecorded:
    if handler not in _event_recorded:
        _event_recorded.append(handler)
    return handler


def status_changed(**kwargs) -> None:
    for handler in list(_status_changed):
        handler(**kwargs)


def event_recorded(**kwargs) -> None:
    for handler in list(_event_recorded):
        handler(**kwargs)
