"""Order storm from the sandbox platforms through the real endpoints, listener and pulls.

    python manage.py simulate --orders 500 --rate 20 --chaos          # against `make run`
    python manage.py simulate --orders 200 --rate 100 --in-process    # no server needed
    python manage.py simulate ... --reconcile                         # and reconcile afterwards

Prints created / delivered / ingested counts and the lag distribution (seconds from
the platform's change to our order showing it).
"""

from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from channels_adapters import clock
from channels_adapters.sandbox.engine import CALM, Chaos
from channels_adapters.sandbox.simulate import Simulation, measure, sandbox_shops


class Command(BaseCommand):
    help = "Drive the sandbox platforms: create and advance orders, push them, report what arrived."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=100)
        parser.add_argument("--rate", type=float, default=10.0, help="orders per second")
        parser.add_argument("--chaos", action="store_true",
                            help="drop 10%% and duplicate 10%% of pushes, delay and reorder them")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--in-process", action="store_true",
                            help="no server: run listener, push sender, ingest and pulls here")
        parser.add_argument("--shop", action="append", dest="shops", help="sandbox shop code (repeatable)")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for ingestion")
        parser.add_argument("--reconcile", action="store_true", help="reconcile every shop at the end")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, orders, rate, chaos, base_url, in_process, shops, timeout, reconcile, seed, **opts):
        if not settings.LIUZHUAN_SANDBOX:
            raise CommandError("the sandbox is off: set LIUZHUAN_SANDBOX=1 (make run does)")
        shop_list = sandbox_shops(shops)
        if not shop_list:
            raise CommandError("no sandbox shops (api_base_url …/sandbox/…): run `python manage.py seed_demo`")
        import random

        sim = Simulation(orders=orders, rate=rate, chaos=Chaos.storm() if chaos else CALM, shops=shop_list,
                         seed=seed if seed is not None else random.randrange(1 << 30), base_url=base_url,
                         out=self.stdout.write)
        self.stdout.write(f"simulating {orders} orders at {rate}/s on {', '.join(s.code for s in shop_list)}"
                          + (" with chaos" if chaos else "") + (" in-process" if in_process else f" → {base_url}"))
        self.in_process = in_process
        if in_process:
            with clock.frozen():
                report = sim.run_in_process()
                if reconcile:
                    self._reconcile(shop_list)
        else:
            report = sim.run_remote(timeout=timeout)
            if reconcile:
                self._reconcile(shop_list)
        if reconcile:
            measure(report, shop_list)
        for line in report.lines():
            self.stdout.write(line)

    def _reconcile(self, shops) -> None:
        from datetime import timedelta

        from channels_adapters.sandbox.inprocess import in_process
        from channels_adapters.services.reconcile import reconcile_shop

        with in_process() if self.in_process else nullcontext():
            for shop in shops:
                run = reconcile_shop(shop=shop, since=clock.now() - timedelta(hours=2), trigger="simulate")
                self.stdout.write(f"reconcile {shop.code}: checked {run.checked}, missing {run.missing_fixed}/"
                                  f"{run.missing_found}, stale {run.stale_fixed}/{run.stale_found}, "
                                  f"errors {run.errors}")
