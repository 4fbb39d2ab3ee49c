"""Actors of background exports (thin: load by id, call one service)."""

import dramatiq


@dramatiq.actor(queue_name="exports", max_retries=0, time_limit=30 * 60 * 1000)
def export_job_run_task(job_id: int) -> None:
    from core.exports.services import export_job_run

    export_job_run(job_id=job_id)
