"""Receiving an inbound shipment: its units on hand, the preorders waiting on it released
and allocated there; a cancelled preorder is not woken; the admin action."""

from __future__ import annotations

import pytest

from core.errors import Conflict
from orders.alerts.models import FulfilmentDecision, InboundLine, InboundShipment
from orders.alerts.services.choose import fulfillment_option_choose
from orders.alerts.services.preorders import inbound_receive
from orders.models import Order, OrderEvent
from orders.services.transitions import order_transition
from tests.factories.warehouses import level

from .test_fulfilment import _option, vip_order  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db


def _preorder(order, user):
    fulfillment_option_choose(order_oid=order.oid, option_id=_option(order, "preorder")["id"],
                              actor=user)
    return Order.objects.get(pk=order.pk)


def test_receiving_puts_units_on_hand_and_allocates_the_waiting_preorder(vip_order, admin_user):
    order = _preorder(vip_order, admin_user)
    assert (order.status, order.hold_reason) == ("on_hold", "out_of_stock")
    shipment = InboundShipment.objects.get(reference="PO-1")
    sh_before = level(shipment.warehouse, "SKU-V").on_hand

    done = inbound_receive(shipment_id=shipment.pk, actor=admin_user)

    assert done == {"units": 10, "released": 1, "allocated": 1}
    after = level(shipment.warehouse, "SKU-V")
    assert (after.on_hand, after.reserved) == (sh_before + 10, 2)
    order = Order.objects.get(pk=order.pk)
    assert order.status == "allocated" and order.warehouse.code == "SH"
    assert OrderEvent.objects.filter(order=order, type="order.preorder_fulfilled").count() == 1
    assert FulfilmentDecision.objects.get(order=order, kind="preorder").released_at is not None
    assert InboundShipment.objects.get(pk=shipment.pk).status == "received"
    with pytest.raises(Conflict) as refused:  # received once
        inbound_receive(shipment_id=shipment.pk, actor=admin_user)
    assert refused.value.code == "inbound_not_expected"
    assert level(shipment.warehouse, "SKU-V").on_hand == sh_before + 10


def test_a_cancelled_preorder_is_not_woken_and_its_units_stay_free(vip_order, admin_user):
    order = _preorder(vip_order, admin_user)
    order_transition(oid=order.oid, name="cancel", actor=None, source="test")
    assert InboundLine.objects.get().promised == 0
    shipment = InboundShipment.objects.get(reference="PO-1")
    done = inbound_receive(shipment_id=shipment.pk, actor=admin_user)
    assert done == {"units": 10, "released": 0, "allocated": 0}
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert level(shipment.warehouse, "SKU-V").reserved == 0


def test_admin_action_for_warehouse_staff(vip_order, admin_user, client, group_user):
    _preorder(vip_order, admin_user)
    shipment = InboundShipment.objects.get(reference="PO-1")
    url = "/admin/alerts/inboundshipment/"
    client.force_login(group_user("ops"))
    page = client.get(url)
    assert page.status_code == 200 and b'value="receive"' not in page.content
    client.force_login(group_user("warehouse"))
    assert b'value="receive"' in client.get(url).content
    response = client.post(url, {"action": "receive", "_selected_action": [shipment.pk]},
                           follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("PO-1" in m and "10" in m for m in shown), shown
    assert Order.objects.get(pk=vip_order.pk).status == "allocated"
    response = client.post(url, {"action": "receive", "_selected_action": [shipment.pk]},
                           follow=True)
    assert any("PO-1" in str(m) for m in response.context["messages"])  # the refusal, shown
