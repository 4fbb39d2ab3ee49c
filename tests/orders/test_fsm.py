"""Table test of every public transition from every status, at the service and over the API."""

import pytest

from core.errors import TransitionNotAllowed
from orders.models import Order, OrderEvent
from orders.services.transitions import PUBLIC_TRANSITIONS, order_transition
from tests.factories.orders_db import order_in_status

pytestmark = pytest.mark.django_db

ALLOWED = {
    ("pending_payment", "pay"): "paid",
    ("pending_payment", "cancel"): "cancelled",
    ("paid", "approve"): "approved",
    ("paid", "hold"): "on_hold",
    ("paid", "cancel"): "cancelled",
    ("on_hold", "approve"): "approved",
    ("on_hold", "release"): "approved",
    ("on_hold", "cancel"): "cancelled",
    ("approved", "hold"): "on_hold",
    ("approved", "allocate"): "allocated",
    ("approved", "cancel"): "cancelled",
    ("allocated", "start_picking"): "picking",
    ("allocated", "ship"): "shipped",
    ("allocated", "cancel"): "cancelled",
    ("picking", "ship"): "shipped",
    ("picking", "cancel"): "cancelled",
    ("shipped", "deliver"): "delivered",
    ("delivered", "complete"): "completed",
}
STATUSES = ["pending_payment", "paid", "on_hold", "approved", "allocated", "picking", "shipped",
            "delivered", "completed", "cancelled"]
CASES = [(s, t) for s in STATUSES for t in PUBLIC_TRANSITIONS]


@pytest.mark.parametrize("status,name", CASES)
def test_transition_table(status, name):
    order = order_in_status(status)
    events_before = OrderEvent.objects.filter(order=order).count()
    expected = ALLOWED.get((status, name))
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            order_transition(oid=order.oid, name=name, actor=None, source="test")
        assert Order.objects.get(pk=order.pk).status == status
        assert OrderEvent.objects.filter(order=order).count() == events_before
    else:
        order_transition(oid=order.oid, name=name, actor=None, source="test")
        assert Order.objects.get(pk=order.pk).status == expected
        last = OrderEvent.objects.filter(order=order).latest("id")
        assert last.type == f"order.{expected}"
        assert last.payload["from"] == status and last.payload["to"] == expected


@pytest.mark.parametrize("status,name", [c for c in CASES if c not in ALLOWED][::7])
def test_forbidden_transition_is_409_over_api(admin_api, status, name):
    order = order_in_status(status)
    response = admin_api.post(f"/api/v1/orders/{order.oid}/transitions/{name}/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"


def test_allowed_transition_over_api_returns_order(admin_api):
    order = order_in_status("picking")
    response = admin_api.post(
        f"/api/v1/orders/{order.oid}/transitions/ship/",
        {"carrier": "SF", "tracking_no": "SF1234567890123"}, format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "shipped"
    assert body["tracking_no"] == "SF1234567890123"


def test_unknown_transition_is_404(admin_api):
    order = order_in_status("paid")
    response = admin_api.post(f"/api/v1/orders/{order.oid}/transitions/teleport/", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_transition"


def test_status_cannot_be_assigned_directly():
    order = order_in_status("paid")
    with pytest.raises(AttributeError):
        order.status = "shipped"
