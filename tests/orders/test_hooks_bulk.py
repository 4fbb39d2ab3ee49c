"""Every set-based hook twin has the effect of its per-item handler (bulk paths stay honest)."""

import pytest
from django.db import transaction

from channels_adapters.subscribers.models import Delivery, OutboxEvent, Subscription
from orders import hooks
from orders.alerts.models import DirtyOrder
from orders.models import OrderEvent
from orders.services.events import order_event_record
from tests.factories.orders_db import order_in_status

pytestmark = pytest.mark.django_db


def _snapshot():
    events = [(e.type, str(e.oid), e.data) for e in OutboxEvent.objects.order_by("id")]
    deliveries = sorted((d.subscription_id, str(d.oid), d.event_type)
                        for d in Delivery.objects.all())
    return events, deliveries, sorted(DirtyOrder.objects.values_list("order_id", flat=True))


def _reset():
    Delivery.objects.all().delete()
    OutboxEvent.objects.all().delete()
    DirtyOrder.objects.all().delete()


def test_event_and_status_twins_match_the_per_item_handlers():
    Subscription.objects.create(name="erp", url="http://127.0.0.1:9/x", secret="s", active=True)
    Subscription.objects.create(name="wms", url="http://127.0.0.1:9/y", secret="s", active=True,
                                event_types=["order.shipped"])
    orders = [order_in_status("picking") for _ in range(3)]
    _reset()

    def record(bulk: bool):
        # Fresh instances: per-instance "already marked" flags are cleared on commit, which
        # never comes inside a test transaction.
        orders[:] = [type(o).objects.get(pk=o.pk) for o in orders]
        with transaction.atomic():
            if bulk:
                events = [OrderEvent.objects.create(order=o, type="order.shipped", source="t")
                          for o in orders]
                hooks.events_recorded_many(list(zip(orders, events, strict=True)))
                hooks.statuses_changed_many(
                    [hooks.StatusChange(order=o, from_status="picking", to_status="picking")
                     for o in orders], actor=None, source="t")
            else:
                for o in orders:
                    order_event_record(order=o, type="order.shipped", source="t")
                    hooks.status_changed(order=o, from_status="picking", to_status="picking",
                                         actor=None, source="t")
        return _snapshot()

    single = record(bulk=False)
    _reset()
    many = record(bulk=True)
    assert single == many
    assert len(single[0]) == 3 and len(single[1]) == 6 and len(single[2]) == 3
