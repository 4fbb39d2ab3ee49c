"""Acceptance: oversell-proof reservation under real PostgreSQL concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.errors import DomainError
from tests.factories.warehouses import level, make_order, make_warehouse, set_stock
from warehouses.models import Reservation
from warehouses.services.allocation import order_allocate
from warehouses.services.stock import InsufficientStock

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 50


def _allocate_concurrently(oids):
    barrier = threading.Barrier(len(oids))
    outcomes, lock = [], threading.Lock()

    def run(oid):
        try:
            barrier.wait(timeout=30)
            order_allocate(order_oid=oid)
            result = "ok"
        except InsufficientStock as exc:
            result = ("short", exc.details)
        except DomainError as exc:  # would be a bug: anything but a shortage
            result = ("error", exc.code)
        except Exception as exc:  # deadlock, constraint violation, ...
            result = ("crash", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(oid,)) for oid in oids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (lock wait)"
    return outcomes


def test_fifty_concurrent_single_unit_reservations_against_stock_of_ten():
    sh = make_warehouse("SH")
    set_stock(sh, "SKU-R", 10)
    oids = [make_order([("SKU-R", 1, "9.90")]).oid for _ in range(THREADS)]

    outcomes = _allocate_concurrently(oids)

    assert [o for o in outcomes if o != "ok" and o[0] != "short"] == []
    assert outcomes.count("ok") == 10
    stock = level(sh, "SKU-R")
    assert (stock.on_hand, stock.reserved, stock.available) == (10, 10, 0)
    assert Reservation.objects.filter(sku__code="SKU-R").count() == 10
    shortage = next(o for o in outcomes if o != "ok")[1]["shortages"][0]
    assert shortage["sku"] == "SKU-R" and shortage["requested"] == 1


def test_two_sku_orders_locked_in_opposite_line_order_do_not_deadlock_or_oversell():
    sh = make_warehouse("SH")
    set_stock(sh, "SKU-A", 10)
    set_stock(sh, "SKU-B", 10)
    oids = []
    for i in range(THREADS):
        lines = [("SKU-A", 1, "5.00"), ("SKU-B", 1, "5.00")]
        oids.append(make_order(lines if i % 2 else lines[::-1]).oid)

    outcomes = _allocate_concurrently(oids)

    assert [o for o in outcomes if o != "ok" and o[0] != "short"] == []
    assert outcomes.count("ok") == 10
    for sku in ("SKU-A", "SKU-B"):
        stock = level(sh, sku)
        assert (stock.on_hand, stock.reserved) == (10, 10)
