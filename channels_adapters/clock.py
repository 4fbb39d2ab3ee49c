"""The one clock of the sync machinery (sandbox platforms, pullers, reconciliation).

Pull windows, cursors, TMC redelivery and the sandbox's modified times all read
``clock.now()``.  Tests and ``simulate`` can freeze it or move it forward to play
"the pullers were down for ten minutes" in milliseconds; in production it is
simply ``timezone.now()``.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_global: dict[str, object] = {"frozen": None, "offset": timedelta(0)}


def now() -> datetime:
    frozen = _global["frozen"]
    if frozen is not None:
        return frozen  # type: ignore[return-value]
    return timezone.now() + _global["offset"]  # type: ignore[operator]


def advance(delta: timedelta) -> datetime:
    """Move the clock forward (frozen or not) and return the new time."""
    if _global["frozen"] is not None:
        _global["frozen"] = _global["frozen"] + delta  # type: ignore[operator]
    else:
        _global["offset"] = _global["offset"] + delta  # type: ignore[operator]
    return now()


def freeze(at: datetime | None = None) -> datetime:
    _global["frozen"] = at or now()
    return now()


def reset() -> None:
    _global["frozen"], _global["offset"] = None, timedelta(0)


@contextmanager
def frozen(at: datetime | None = None):
    """``with clock.frozen(t0): ...`` — the clock stands still unless ``advance`` is called."""
    saved = dict(_global)
    freeze(at)
    try:
        yield
    finally:
        _global.update(saved)
