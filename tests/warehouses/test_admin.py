from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories.warehouses import level, make_order, make_warehouse, set_stock
from warehouses.models import ScoringPolicy
from warehouses.services.allocation import order_allocate

pytestmark = pytest.mark.django_db

PAGES = ["warehouse", "stocklevel", "reservation", "stocksync", "routingrule", "approvalrule",
         "pricefloor", "scoringpolicy", "outboundorder", "revieworder", "routedorder"]


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def orders():
    sh = make_warehouse("SH")
    set_stock(sh, "SKU-1", 2)
    approved = make_order()
    allocated = order_allocate(order_oid=make_order().oid)
    held = make_order([("SKU-1", 1, "60000.00")])
    return approved, allocated, held


@pytest.mark.parametrize("model", PAGES)
def test_changelists_and_change_pages_render(staff, orders, model):
    response = staff.get(reverse(f"admin:warehouses_{model}_changelist"))
    assert response.status_code == 200


def test_routing_explanation_on_the_order_page(staff, orders):
    _, allocated, _ = orders
    response = staff.get(reverse("admin:warehouses_routedorder_change", args=[allocated.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Decided by:" in body and allocated.routing["rule"]["name"] in body


def test_outbound_queue_shows_breakdown_and_allocates(staff, orders):
    approved, allocated, _ = orders
    url = reverse("admin:warehouses_outboundorder_changelist")
    assert str(approved.oid)[:8] in staff.get(url).content.decode()
    response = staff.post(url, {"action": "allocate", "_selected_action": [approved.pk]})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == "allocated"
    assert level(approved.warehouse, "SKU-1").reserved == 2


def test_review_queue_bulk_approve_records_first_approval(staff, orders):
    _, _, held = orders
    url = reverse("admin:warehouses_revieworder_changelist")
    assert str(held.oid)[:8] in staff.get(url + "?level=second_review").content.decode()
    staff.post(url, {"action": "approve", "_selected_action": [held.pk]})
    held.refresh_from_db()
    assert held.status == "on_hold"
    assert held.events.filter(type="order.review_approved").count() == 1
    staff.post(url, {"action": "approve", "_selected_action": [held.pk]})  # same user again
    held.refresh_from_db()
    assert held.status == "on_hold"


def test_review_queue_bulk_reject(staff, orders):
    _, _, held = orders
    staff.post(reverse("admin:warehouses_revieworder_changelist"),
               {"action": "reject", "_selected_action": [held.pk]})
    held.refresh_from_db()
    assert held.status == "cancelled"


def test_staff_override_reroutes(staff, orders):
    _, allocated, _ = orders
    cd = make_warehouse("CD")
    set_stock(cd, "SKU-1", 3)
    staff.post(reverse("admin:warehouses_routedorder_change", args=[allocated.pk]),
               {"override_warehouse": "CD"})
    allocated.refresh_from_db()
    assert allocated.warehouse == cd
    assert allocated.routing["rule"]["kind"] == "manual"


def test_stock_board_highlights_low_stock(staff, orders):
    response = staff.get(reverse("admin:warehouses_stocklevel_board") + "?warehouse=SH&q=SKU")
    body = response.content.decode()
    assert response.status_code == 200
    assert "SKU-1" in body and "color:#c77c00" in body  # 2 on hand, 1 reserved → low


def test_scoring_policy_add_publishes_a_new_version(staff):
    url = reverse("admin:warehouses_scoringpolicy_add")
    initial = staff.get(url)
    assert initial.status_code == 200
    data = {name: value for name, value in initial.context["adminform"].form.initial.items()}
    data.update({"note": "more VIP", "vip": 60})
    response = staff.post(url, data)
    assert response.status_code == 302, response.content
    active = ScoringPolicy.objects.get(active=True)
    assert (active.version, active.vip, active.note) == (2, 60, "more VIP")


def test_stock_csv_import_dry_run_then_confirm(staff):
    sh = make_warehouse("SH")
    set_stock(sh, "SKU-1", 1)
    csv = SimpleUploadedFile("stock.csv", b"warehouse,sku,on_hand\nSH,SKU-1,8\n", "text/csv")
    url = reverse("admin:warehouses_stocklevel_import")
    response = staff.post(url, {"format": "0", "import_file": csv, "resource": "0"})
    assert response.status_code == 200
    assert level(sh, "SKU-1").on_hand == 1  # preview only
    form = response.context["confirm_form"]
    confirm = staff.post(reverse("admin:warehouses_stocklevel_process_import"),
                         {**form.initial, "resource": "0"})
    assert confirm.status_code == 302, confirm.content
    assert level(sh, "SKU-1").on_hand == 8


def test_warehouse_group_sees_stock_but_not_approval_rules(client, group_user):
    client.force_login(group_user("warehouse"))
    assert client.get(reverse("admin:warehouses_stocklevel_changelist")).status_code == 200
    assert client.get(reverse("admin:warehouses_approvalrule_changelist")).status_code == 403
    client.force_login(group_user("ops", "ops1"))
    assert client.get(reverse("admin:warehouses_approvalrule_changelist")).status_code == 200
    assert client.get(reverse("admin:warehouses_revieworder_changelist")).status_code == 200
