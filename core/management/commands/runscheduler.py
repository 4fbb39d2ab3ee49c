"""Enqueue the registered periodic actors (``core.schedule``) forever."""

from __future__ import annotations

import logging
import signal
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from django.core.management.base import BaseCommand

from core import schedule
from core.tasks_util import task_modules_import

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the scheduler: sends each periodic actor at its interval."

    def handle(self, *args, **options):
        task_modules_import()
        scheduler = BlockingScheduler(timezone="Asia/Shanghai")
        for name, job in sorted(schedule.JOBS.items()):
            scheduler.add_job(
                job.actor.send, "interval", seconds=job.seconds, id=name,
                max_instances=1, coalesce=True, misfire_grace_time=job.seconds,
                next_run_time=datetime.now(ZoneInfo("Asia/Shanghai")),
            )
            self.stdout.write(f"scheduled {name} every {job.seconds}s")
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
