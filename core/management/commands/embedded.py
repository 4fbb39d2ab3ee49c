"""Start, stop or locate the embedded PostgreSQL and Redis (the no-configuration default)."""

from django.core.management.base import BaseCommand

from config import embedded


class Command(BaseCommand):
    help = "Manage the embedded PostgreSQL and Redis servers: start | stop | status"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args, action, **options):
        if action == "stop":
            embedded.stop_postgres()
            embedded.stop_redis()
            self.stdout.write("embedded PostgreSQL and Redis stopped")
            return
        self.stdout.write(f"DATABASE_URL={embedded.ensure_postgres()}")
        self.stdout.write(f"REDIS_URL={embedded.ensure_redis()}")
