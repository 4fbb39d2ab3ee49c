"""HTTP surface: GET /api/v1/alerts/, fulfilment options + choose, has_open_alert, admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.alerts.models import Alert, FulfilmentDecision
from orders.models import Order
from tests.factories.orders_db import order_in_status

from .conftest import open_alerts
from .test_fulfilment import vip_order  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _address_alert(detect):
    from orders.models import Order as O

    order = order_in_status("approved")
    O.objects.filter(pk=order.pk).update(receiver_district="")
    detect("address_suspect")
    return order


def test_alert_list_and_filters(admin_api, detect):
    order = _address_alert(detect)
    body = admin_api.get("/api/v1/alerts/?open=true&kind=address_suspect").json()
    [row] = body["results"]
    assert row["oid"] == str(order.oid) and row["kind"] == "address_suspect"
    assert row["open"] is True and row["status"] == "open"
    assert admin_api.get("/api/v1/alerts/?kind=stuck").json()["results"] == []
    assert admin_api.get(f"/api/v1/alerts/?oid={order.oid}").json()["results"][0]["id"] == row["id"]
    bad = admin_api.get("/api/v1/alerts/?kind=nope")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"


def test_alert_list_needs_authentication(api_client):
    assert api_client.get("/api/v1/alerts/").status_code in (401, 403)


def test_has_open_alert_order_filter(admin_api, detect):
    flagged = _address_alert(detect)
    calm = order_in_status("approved")
    yes = {r["oid"] for r in admin_api.get("/api/v1/orders/?has_open_alert=true").json()["results"]}
    no = {r["oid"] for r in admin_api.get("/api/v1/orders/?has_open_alert=false").json()["results"]}
    assert str(flagged.oid) in yes and str(calm.oid) not in yes
    assert str(calm.oid) in no and str(flagged.oid) not in no


def test_fulfillment_options_api_and_choose(admin_api, vip_order):  # noqa: F811
    url = f"/api/v1/orders/{vip_order.oid}/fulfillment-options/"
    body = admin_api.get(url).json()
    assert {o["kind"] for o in body["options"]} == {"transfer", "preorder", "substitute"}
    assert body["customer_level"] == "vip" and body["warehouse"] == "SH"
    preorder = next(o for o in body["options"] if o["kind"] == "preorder")
    made = admin_api.post(url + "choose/", {"option": preorder["id"]}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["extra_cost"] == "50.00"
    again = admin_api.post(url + "choose/", {"option": "transfer:NOPE"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "option_unavailable"


def test_fulfillment_options_unknown_order_404(admin_api):
    r = admin_api.get("/api/v1/orders/00000000-0000-0000-0000-000000000000/fulfillment-options/")
    assert r.status_code == 404 and r.json()["code"] == "order_not_found"


def test_choose_without_permission_is_403(api_client, group_user, vip_order):  # noqa: F811
    user = group_user("finance")
    api_client.force_authenticate(user)
    url = f"/api/v1/orders/{vip_order.oid}/fulfillment-options/choose/"
    r = api_client.post(url, {"option": "preorder:1"}, format="json")
    assert r.status_code == 403


# ------------------------------------------------------------------ admin


def test_admin_board_and_bulk_actions(client, admin_user, detect, django_user_model):
    order = _address_alert(detect)
    client.force_login(admin_user)
    page = client.get(reverse("admin:alerts_alert_changelist") + "?open=yes")
    assert page.status_code == 200
    assert b"alert-board" in page.content and str(order).encode() in page.content
    alert = Alert.objects.get(order=order)
    helper = django_user_model.objects.create_user("helper", is_staff=True)
    url = reverse("admin:alerts_alert_changelist")
    client.post(url, {"action": "acknowledge", "_selected_action": [alert.pk]})
    client.post(url, {"action": "assign", "_selected_action": [alert.pk], "assignee": helper.pk})
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == admin_user
    assert alert.assignee == helper


def test_admin_run_detection_button(client, admin_user):
    order = order_in_status("approved")
    Order.objects.filter(pk=order.pk).update(receiver_district="")
    client.force_login(admin_user)
    client.post(reverse("admin:alerts_alert_run"))
    assert open_alerts("address_suspect", order)


def test_admin_options_panel_and_one_click_choose(client, admin_user, vip_order):  # noqa: F811
    client.force_login(admin_user)
    url = reverse("admin:alerts_fulfilment_options", args=[vip_order.oid])
    page = client.get(url)
    assert page.status_code == 200 and b"fulfilment-options" in page.content
    assert b"transfer:NJ" in page.content and b"preorder:" in page.content
    done = client.post(reverse("admin:alerts_fulfilment_choose", args=[vip_order.oid]),
                       {"option": "transfer:NJ"})
    assert done.status_code == 302
    assert FulfilmentDecision.objects.get(order=vip_order).kind == "transfer"
    assert Order.objects.get(pk=vip_order.pk).status == "allocated"


def test_ops_group_sees_the_board(client, group_user):
    client.force_login(group_user("ops"))
    assert client.get(reverse("admin:alerts_alert_changelist")).status_code == 200
    assert client.get(reverse("admin:alerts_stuckrule_changelist")).status_code == 200
