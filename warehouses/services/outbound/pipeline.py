"""The run's downstream steps — tracking numbers, labels, handover — for each chunk's
waves in a second thread, on a database connection of its own, while the run allocates
the next chunk.

Why: a chunk spends about 40 % of its time waiting for the database and the downstream
steps spend most of theirs outside any transaction (the carrier call, reading what the
labels print, rendering the PDFs).  In a second thread that work fills the first one's
waits (10,000 orders: see ``bench/outbound.py``).

Why it is safe (see ``locks``): the run holds the batch's run lock, so no other run or
compensation works meanwhile; both threads' steps lock the batch row ``FOR KEY SHARE`` and
check its status, so their transactions run side by side and a rollback still stops both
at their next step.  They write different rows — the chunk its own orders, batch orders,
waves and parcels; the downstream thread those of waves already committed — except the
stock rows, which every step locks in one statement in primary-key order
(``stock_levels_lock``), and the batch row's progress counters, which both move with
relative updates.  So neither can wait on the other in a cycle, and each step still checks
the recorded steps of its batch orders: a resumed run relies on nothing else.

The downstream thread stops at the first error, which the run raises as its own at its
next check (between chunks) — a rolled-back batch, a carrier failure, a crash-test hook.
When the run itself fails it stops the thread and waits for it to finish its current
step (outside any transaction of its own, so that step can take the batch row) before
the error goes on.

Inline mode (``threaded=False``: the caller is inside a transaction, which a second
connection cannot see — e.g. a test — or the pipeline is switched off): nothing runs
until the chunks are done, then the open waves go in groups as they always did.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from django.db import connection

logger = logging.getLogger(__name__)


class Downstream:
    """Runs ``process(wave_ids)`` for each submitted group of waves, in order."""

    def __init__(self, process: Callable[[list[int]], None], *, threaded: bool):
        self.process = process
        self.threaded = threaded
        self.done: set[int] = set()  # waves whose group went through every step
        self._error: BaseException | None = None
        self._groups: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, wave_ids: list[int]) -> None:
        if not self.threaded or not wave_ids:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="outbound-downstream",
                                            daemon=True)
            self._thread.start()
        self._groups.put(list(wave_ids))

    def check(self) -> None:
        """Raise the downstream thread's error, if it stopped on one."""
        if self._error is not None:
            raise self._error

    def close(self, *, abort: bool = False) -> None:
        """Wait until every submitted group went through (``abort``: only the current
        one), then raise the thread's error if any (not when aborting: the caller's own
        error goes on)."""
        if self._thread is not None:
            if abort:
                self._stop.set()
            self._groups.put(None)
            self._thread.join()
            self._thread = None
        if not abort:
            self.check()

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                group = self._groups.get()
                if group is None:
                    break
                self.process(group)
                self.done.update(group)
        except BaseException as exc:  # noqa: BLE001 — handed to the run, which raises it
            logger.info("outbound downstream thread stopped: %r", exc)
            self._error = exc
        finally:
            connection.close()  # this thread's own connection
