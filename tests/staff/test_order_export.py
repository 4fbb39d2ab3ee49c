"""Order export: ops only (receiver personal data), the changelist's filters and search,
chosen columns, values that round-trip, formulas escaped, big files in the background."""

from __future__ import annotations

import dramatiq
import pytest
from django.contrib.auth.models import Group

from core.exports.models import ExportJob
from core.exports.services import export_job_run
from orders.admin import OrderAdmin
from orders.canonical import CanonicalReceiver
from orders.models import Order
from orders.resources import OrderExportResource
from tests.factories.orders_db import order_in_status

from .conftest import export_post_data, read_csv

pytestmark = pytest.mark.django_db

EVIL = CanonicalReceiver(name='=cmd|" /C calc"!A0', phone="013800138000", province="上海",
                         city="上海市", district="浦东新区", address="+世纪大道 100 号")


@pytest.fixture
def ops(staff_client):
    return staff_client("ops")


def test_only_ops_may_export_orders(client, group_user):
    for group, allowed in [("warehouse", False), ("finance", False), ("ops", True)]:
        client.force_login(group_user(group, username=f"u-{group}"))
        assert (client.get("/admin/orders/order/export/").status_code == 200) is allowed
        page = client.get("/admin/orders/order/").content.decode()
        assert ('href="/admin/orders/order/export/' in page) is allowed


def test_export_respects_filters_and_round_trips(ops):
    paid = [order_in_status("paid", receiver=EVIL, shipping="12.50") for _ in range(3)]
    order_in_status("approved")
    response = ops.post("/admin/orders/order/export/?status__exact=paid",
                        export_post_data(OrderExportResource))
    assert response.status_code == 200
    rows = read_csv(response.content)
    assert sorted(r["oid"] for r in rows) == sorted(str(o.oid) for o in paid)
    row = rows[0]
    order = Order.objects.select_related("shop").get(oid=row["oid"])
    # Formulas escaped with one apostrophe; everything else exactly the stored values
    assert row["receiver_name"] == "'" + order.receiver_name
    assert row["receiver_address"] == "'" + order.receiver_address
    assert row["receiver_phone"] == "013800138000" == order.receiver_phone  # leading zero kept
    assert row["channel_order_id"] == order.channel_order_id
    assert row["shop"] == order.shop.code and row["status"] == "paid"
    assert row["paid_amount"] == f"{order.paid_amount:.2f}" and row["shipping_amount"] == "12.50"
    assert row["created_at"].endswith("+08:00")  # Asia/Shanghai, with its offset


def test_export_respects_search_and_chosen_columns(ops):
    wanted = order_in_status("paid")
    order_in_status("paid")
    data = export_post_data(OrderExportResource, fields=["channel_order_id", "paid_amount"])
    response = ops.post(f"/admin/orders/order/export/?q={wanted.channel_order_id}", data)
    assert read_csv(response.content) == [
        {"channel_order_id": wanted.channel_order_id, "paid_amount": f"{wanted.paid_amount:.2f}"}]


def test_xlsx_export_round_trips(ops):
    openpyxl = pytest.importorskip("openpyxl", reason="XLSX needs openpyxl (tablib[xlsx])")
    import io

    order = order_in_status("paid", receiver=EVIL)
    response = ops.post("/admin/orders/order/export/", export_post_data(OrderExportResource,
                                                                        fmt=1))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    assert all(c.data_type != "f" for c in sheet[2])  # no live formula
    assert cells["receiver_name"].value == "'" + order.receiver_name
    assert cells["receiver_phone"].value == "013800138000"
    assert cells["oid"].value == str(order.oid)
    assert cells["paid_amount"].value == f"{order.paid_amount:.2f}"


def test_big_export_runs_in_the_background(ops, monkeypatch, django_capture_on_commit_callbacks,
                                           client, group_user):
    monkeypatch.setattr(OrderAdmin, "background_export_over", 2)
    orders = [order_in_status("paid") for _ in range(3)]
    order_in_status("approved")
    broker = dramatiq.get_broker()
    broker.flush_all()
    # When an export of more rows than the limit is asked for
    with django_capture_on_commit_callbacks(execute=True):
        response = ops.post("/admin/orders/order/export/?status__exact=paid",
                            export_post_data(OrderExportResource, fields=["oid", "status"]))
    # Then a job is queued and the staff member lands on its status page
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/core/exportjob/{job.pk}/change/"
    assert (job.status, job.params, job.fields) == ("pending", {"status__exact": ["paid"]},
                                                     ["oid", "status"])
    messages = broker.queues["exports"].queue
    assert [m for m in list(messages)]  # the actor message is on the exports queue
    page = ops.get(f"/admin/core/exportjob/{job.pk}/change/").content.decode()
    assert 'http-equiv="refresh"' in page
    # When the worker runs it (what export_job_run_task does)
    job = export_job_run(job_id=job.pk)
    assert (job.status, job.row_count) == ("done", 3)
    page = ops.get(f"/admin/core/exportjob/{job.pk}/change/").content.decode()
    assert f"/admin/core/exportjob/{job.pk}/download/" in page
    download = ops.get(f"/admin/core/exportjob/{job.pk}/download/")
    body = b"".join(download.streaming_content)
    assert sorted(r["oid"] for r in read_csv(body)) == sorted(str(o.oid) for o in orders)
    # Another staff member cannot see or download it
    client.force_login(group_user("ops", username="other-ops"))
    assert client.get(f"/admin/core/exportjob/{job.pk}/download/").status_code == 404


def test_download_rechecks_the_export_permission(ops, monkeypatch):
    monkeypatch.setattr(OrderAdmin, "background_export_over", 0)
    order_in_status("paid")
    ops.post("/admin/orders/order/export/", export_post_data(OrderExportResource))
    job = export_job_run(job_id=ExportJob.objects.get().pk)
    assert job.status == "done"
    Group.objects.get(name="ops").permissions.remove(
        *Group.objects.get(name="ops").permissions.filter(codename="export_order"))
    assert ops.get(f"/admin/core/exportjob/{job.pk}/download/").status_code == 403
