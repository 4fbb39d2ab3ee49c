"""Compare the platforms' incremental lists with our orders; ingest what is missing or stale.

    python manage.py reconcile                     # every shop, last 24 hours
    python manage.py reconcile --shop tb-demo --since 2026-11-11T00:00:00+08:00
"""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from channels_adapters.services.reconcile import reconcile_all
from core.errors import DomainError


class Command(BaseCommand):
    help = "Reconcile orders against the platforms' incremental lists (each run is recorded)."

    def add_arguments(self, parser):
        parser.add_argument("--shop", help="shop code (default: every active platform shop)")
        parser.add_argument("--since", help="ISO 8601 start of the window (default: 24 hours ago)")

    def handle(self, *args, shop: str | None, since: str | None, **options):
        start = None
        if since:
            try:
                start = datetime.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since {since!r} is not an ISO 8601 time") from None
            if timezone.is_naive(start):
                start = timezone.make_aware(start)
        try:
            runs = reconcile_all(since=start, shop_code=shop, trigger="command")
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for run in runs:
            self.stdout.write(
                f"{run.shop.code}: {run.window_start:%Y-%m-%d %H:%M} → {run.window_end:%Y-%m-%d %H:%M} "
                f"checked {run.checked}, missing {run.missing_fixed}/{run.missing_found}, "
                f"stale {run.stale_fixed}/{run.stale_found}, errors {run.errors} (run #{run.pk}, {run.status})"
            )
        if any(run.errors for run in runs):
            self.stderr.write("some orders could not be reconciled: see the runs in the admin")
