"""Batch outbound: one click turns hundreds of orders into waves, pick lists, labels and
tracking numbers — and can be rolled back.

* ``plan``      — :func:`outbound_batch_create`: a draft batch and its per-order plan
* ``execute``   — :func:`outbound_batch_execute` (request) / :func:`outbound_batch_run`
                  (the background run: allocate + wave, tracking, labels)
* ``pipeline``  — the downstream steps of each chunk's waves in a second thread
* ``locks``     — run lock, step lock, batch-change lock
* ``wave_step`` — allocated orders → parcels, waves and pick lists (a run's chunk)
* ``carrier_steps`` — tracking numbers and label PDFs per group of waves
* ``handover``  — :func:`outbound_handover` (carrier pickup scan: picking → shipped)
* ``wave_records`` — a wave's pick list recount and label data
* ``rollback``  — :func:`outbound_batch_rollback` / :func:`outbound_batch_rollback_run`
* ``waves``     — wave templates and caps, pick-list aggregation (pure)
* ``documents`` — label and pick-list PDFs (reportlab)
* ``bulk``      — set-based transitions and events used by the steps
* ``bulk_stock`` — set-based reserve / release / consume
* ``gcpause``   — the cyclic garbage collector paused while a batch step runs
"""

from .execute import outbound_batch_execute, outbound_batch_run
from .handover import outbound_handover
from .plan import outbound_batch_create
from .rollback import outbound_batch_rollback, outbound_batch_rollback_run

__all__ = [
    "outbound_batch_create",
    "outbound_batch_execute",
    "outbound_batch_rollback",
    "outbound_batch_rollback_run",
    "outbound_batch_run",
    "outbound_handover",
]
