import dramatiq
from django.core.cache import cache
from django.utils import timezone

from core import schedule
from core.exports.tasks import export_job_run_task  # noqa: F401  (actor discovery)


@schedule.every(seconds=30)
@dramatiq.actor(queue_name="default", max_retries=0, time_limit=10_000)
def heartbeat_task() -> None:
    """Proves the scheduler → broker → worker chain works (shown by /healthz?verbose=1)."""
    cache.set("liuzhuan:heartbeat", timezone.now().isoformat(), timeout=None)
