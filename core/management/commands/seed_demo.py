"""Load demo data.  Idempotent: a second run adds nothing.

Each app may provide ``<app>/demo.py`` with ``seed(stdout=...)``; it is called after the
master data and the demo orders, in INSTALLED_APPS order.
"""

from __future__ import annotations

import importlib
import inspect

from django.apps import apps
from django.core.management.base import BaseCommand

from core.seeding import master, orders


class Command(BaseCommand):
    help = "Load demo shops, SKUs, customers, warehouses, orders (and each app's demo data)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=40)
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, orders: int, port: int, **options):
        made = master.seed(port=port)
        self.stdout.write(f"master data created: {made}")
        self.stdout.write(f"demo orders created: {orders_seed(orders)}")
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            kwargs = {"stdout": self.stdout}
            if "port" in inspect.signature(module.seed).parameters:
                kwargs["port"] = port
            self.stdout.write(f"{config.label}: {module.seed(**kwargs)}")


def orders_seed(count: int) -> int:
    return orders.seed(count=count)
