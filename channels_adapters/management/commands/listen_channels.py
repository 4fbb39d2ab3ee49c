"""The channel listener: consume and confirm Taobao TMC messages for every shop, forever.

    python manage.py listen_channels            # started by `make run` (runstack --with listen_channels)
    python manage.py listen_channels --once     # one round per shop, then exit

Each round: consume up to 100 messages per shop → archive (deduplicated by message
id) → enqueue the detail fetch + ingest (or do it here with ``--inline``) → confirm.
Idle shops are polled every ``--idle`` seconds; a shop whose gateway fails backs
off exponentially up to a minute.  SIGTERM / Ctrl-C stops after the current round.
"""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand

from channels_adapters.platforms import GatewayError
from channels_adapters.selectors import sync_shops
from channels_adapters.services.tmc import tmc_round

MAX_BACKOFF = 60.0


class Command(BaseCommand):
    help = "Consume and confirm Taobao TMC messages (taobao.tmc.messages.consume/confirm) for every shop."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round per shop, then exit")
        parser.add_argument("--inline", action="store_true",
                            help="fetch and ingest in this process instead of the worker")
        parser.add_argument("--idle", type=float, default=2.0, help="seconds between polls when idle")
        parser.add_argument("--shop", help="only this shop code")

    def handle(self, *args, once: bool, inline: bool, idle: float, shop: str | None, **options):
        stopping = {"now": False}

        def stop(*_):
            stopping["now"] = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        backoff: dict[str, float] = {}
        not_before: dict[str, float] = {}
        self.stdout.write("listening to TMC" + (f" for {shop}" if shop else ""))
        while not stopping["now"]:
            busy = False
            for s in sync_shops(channel="taobao", code=shop):
                if stopping["now"] or time.monotonic() < not_before.get(s.code, 0.0):
                    continue
                try:
                    result = tmc_round(shop=s, inline=inline)
                except GatewayError as exc:
                    wait = min(MAX_BACKOFF, backoff.get(s.code, 0.5) * 2)
                    backoff[s.code], not_before[s.code] = wait, time.monotonic() + wait
                    self.stderr.write(f"{s.code}: {exc} — retrying in {wait:.0f}s")
                    continue
                backoff.pop(s.code, None)
                if result.consumed:
                    busy = True
                    self.stdout.write(f"{s.code}: {result.consumed} consumed, {result.new} new, "
                                      f"{result.duplicates} duplicates, {result.confirmed} confirmed")
            if once:
                break
            if not busy:
                time.sleep(idle)
        self.stdout.write("listener stopped")
