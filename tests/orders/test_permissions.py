"""Group permissions decide which transitions a staff member may apply."""

import pytest

from tests.factories.orders_db import order_in_status

pytestmark = pytest.mark.django_db


def _post(api_client, user, order, name, body=None):
    api_client.force_authenticate(user)
    return api_client.post(f"/api/v1/orders/{order.oid}/transitions/{name}/", body or {},
                           format="json")


def test_warehouse_cannot_apply_finance_transition(api_client, group_user):
    order = order_in_status("pending_payment")
    response = _post(api_client, group_user("warehouse"), order, "pay")
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert response.json()["details"]["reason"] == "permission"


def test_finance_can_apply_finance_transition(api_client, group_user):
    order = order_in_status("pending_payment")
    assert _post(api_client, group_user("finance"), order, "pay").status_code == 200


def test_finance_cannot_apply_warehouse_transitions(api_client, group_user):
    finance = group_user("finance")
    for status, name in [("approved", "allocate"), ("allocated", "start_picking"),
                         ("picking", "ship")]:
        order = order_in_status(status)
        response = _post(api_client, finance, order, name)
        assert response.status_code == 409, name
        assert response.json()["details"]["reason"] == "permission"


def test_warehouse_can_apply_warehouse_transitions(api_client, group_user):
    from tests.factories.warehouses import make_warehouse, set_stock

    order = order_in_status("approved")
    set_stock(make_warehouse("SH"), "SKU-1", 5)
    warehouse = group_user("warehouse")
    assert _post(api_client, warehouse, order, "allocate").status_code == 200
    assert _post(api_client, warehouse, order, "start_picking").status_code == 200


def test_anonymous_is_refused(api_client):
    order = order_in_status("paid")
    response = api_client.post(f"/api/v1/orders/{order.oid}/transitions/approve/", {}, format="json")
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("not_authenticated", "authentication_failed")
