"""Run web + worker + scheduler (+ the channel listener, ``--with listen_channels``) together;
Ctrl-C stops all of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from core.tasks_util import declared_queues

RELAY_QUEUES = ["deliveries"]


def _processes(port: int, extra: list[str]) -> dict[str, list[str]]:
    python = sys.executable
    procs = {
        "web": [
            python, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
            "--workers", "2", "--threads", "8", "--timeout", "60",
            "--log-level", "warning",
        ],
        # One worker process per core: Python threads share one core (the GIL).  Webhook
        # deliveries have a worker of their own, so a delivery never waits for the
        # interpreter behind CPU-heavy actors (approval, alerts, outbound).
        "worker": [python, "manage.py", "rundramatiq", "--processes", str(os.cpu_count() or 2),
                   "--threads", "4", "--queues", *declared_queues(exclude=RELAY_QUEUES)],
        "relay": [python, "manage.py", "rundramatiq", "--processes", "1", "--threads", "4",
                  "--queues", *RELAY_QUEUES],
        "scheduler": [python, "manage.py", "runscheduler"],
    }
    for name in extra:
        procs[name] = [python, "manage.py", name]
    return procs


class Command(BaseCommand):
    help = "Start the web server, a dramatiq worker and the scheduler; stop all on Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--with", dest="extra", action="append", default=[],
            help="extra manage.py commands to run beside them (e.g. listen_channels)",
        )

    def handle(self, *args, port, extra, **options):
        env = {
            **os.environ,
            "DATABASE_URL": settings.ENV.database_url,
            "REDIS_URL": settings.ENV.redis_url,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
            "PYTHONUNBUFFERED": "1",
            "PORT": str(port),
            # An idle dramatiq consumer polls every 100 ms instead of 1 s: sub-second webhooks.
            "dramatiq_worker_timeout": os.environ.get("dramatiq_worker_timeout", "100"),
        }
        extra = extra + list(getattr(settings, "LIUZHUAN_EXTRA_PROCESSES", []))
        children: dict[str, subprocess.Popen] = {}
        for name, cmd in _processes(port, extra).items():
            children[name] = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR,
                                              start_new_session=True)
            self.stdout.write(f"started {name} (pid {children[name].pid})")
        self.stdout.write(self.style.SUCCESS(f"Liuzhuan is up: http://127.0.0.1:{port}/admin/"))

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with {child.returncode}; stopping the rest")
                    exit_code = child.returncode or 1
                    stopping = True
                    break
            time.sleep(0.5)
        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        self.stdout.write("stopped")
        sys.exit(exit_code)
