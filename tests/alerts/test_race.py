"""Concurrent detection runs never open two alerts for one order and kind."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from orders.alerts.models import Alert
from orders.alerts.services.detection import alerts_detect
from orders.models import Order
from tests.factories.orders_db import order_in_status

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_runs_open_each_alert_once():
    orders = [order_in_status("approved", channel_order_id=f"R{i}") for i in range(20)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(receiver_district="")
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait()
            for _ in range(3):
                alerts_detect(kinds=["address_suspect", "stuck"])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Alert.objects.filter(kind="address_suspect").count() == 20
    assert Alert.objects.filter(kind="address_suspect", resolved_at__isnull=True).count() == 20
