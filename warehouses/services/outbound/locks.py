"""How a batch's writers keep out of each other's way.

* **One run at a time** per batch — execute or rollback compensation
  (:func:`batch_run_lock`): a session-level PostgreSQL advisory lock held for the whole
  run, waited for by a second run (a duplicated message, a retry, the compensation of a
  batch whose execution is still stopping).  A killed worker's connection closes and the
  server lets go of its lock.
* **Steps of a run** lock the batch row ``FOR KEY SHARE`` (:func:`batch_share`) and check
  its status: the run's two threads (see ``pipeline``) and a pickup scan share it, so their
  transactions run side by side.  They change the batch row only with relative updates
  of the progress counters.
* **Changes of the batch itself** — start, finish, fail, roll back — lock the row
  ``FOR NO KEY UPDATE`` (:func:`batch_lock`): one at a time, and without waiting for the
  steps, so a rollback request is answered at once.  A step that was already going when
  the batch was rolled back may still commit; the next step of the run sees the status
  and stops, and the compensation (which takes the run lock) starts only once the run has
  stopped, so it sees everything the run did.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.db import DatabaseError, connection

from warehouses.models import OutboundBatch

logger = logging.getLogger(__name__)


def batch_lock(batch_id: int) -> OutboundBatch:
    """The batch row, locked for a change of the batch itself."""
    return OutboundBatch.objects.select_for_update(no_key=True).get(pk=batch_id)


def batch_share(batch_id: int) -> OutboundBatch:
    """The batch row, locked against changes of the batch while a step runs."""
    rows = list(OutboundBatch.objects.raw(
        f"SELECT * FROM {OutboundBatch._meta.db_table} WHERE id = %s FOR KEY SHARE", [batch_id]))
    if not rows:
        raise OutboundBatch.DoesNotExist(f"outbound batch {batch_id} does not exist")
    return rows[0]


@contextmanager
def batch_run_lock(batch_id: int):
    """Held for a whole run of the batch (waits for another run to end)."""
    key = f"liuzhuan:outbound-batch-run:{batch_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
        except DatabaseError:  # a broken connection: the server lets go when it closes
            logger.warning("could not release %s; the connection's end will", key)
