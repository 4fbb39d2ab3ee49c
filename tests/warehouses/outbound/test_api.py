"""``/api/v1/outbound/batches/…``: create (orders / filter), detail, execute, rollback."""

from __future__ import annotations

import dramatiq
import pytest

from warehouses.models import OutboundFilter

from .conftest import make_orders, pdf_pages

URL = "/api/v1/outbound/batches/"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_create_execute_detail_rollback_over_http(three_warehouses, api_client, group_user):
    orders = make_orders(12)
    user = group_user("warehouse")
    api_client.force_authenticate(user)
    r = api_client.post(URL, {"orders": [str(o.oid) for o in orders]}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "draft" and body["counts"]["planned"] == 12
    first = body["orders"][0]
    assert set(first["plan"]) == {"warehouse", "carrier", "score", "approval_level", "blockers"}
    assert first["plan"]["warehouse"] in {"SH", "CD", "GZ"} and first["plan"]["blockers"] == []

    broker = dramatiq.get_broker()
    broker.flush_all()
    r = api_client.post(f"{URL}{body['id']}/execute/")
    assert r.status_code == 202 and r.json()["status"] == "executing"
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        broker.join("outbound", timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    detail = api_client.get(f"{URL}{body['id']}/").json()
    assert detail["status"] == "done"
    assert detail["counts"]["tracked"] == 12 and detail["counts"]["done"] == 12
    assert {o["result"] for o in detail["orders"]} == {"tracked"}
    assert all(o["parcels"][0]["tracking_no"] for o in detail["orders"])
    wave = detail["waves"][0]
    assert sum(w["orders"] for w in detail["waves"]) == 12 and wave["pick_list"]
    pdf = api_client.get(f"{URL}{body['id']}/waves/{wave['id']}/labels.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf_pages(pdf.content) == wave["orders"]
    picklist = api_client.get(f"{URL}{body['id']}/waves/{wave['id']}/picklist.pdf")
    assert picklist.status_code == 200 and picklist.content.startswith(b"%PDF-")

    r = api_client.post(f"{URL}{body['id']}/rollback/")
    assert r.status_code == 202 and r.json()["status"] == "rolled_back"
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        broker.join("outbound", timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    detail = api_client.get(f"{URL}{body['id']}/").json()
    assert detail["rollback"]["rolled_back"] == 12
    assert {o["status"] for o in detail["orders"]} == {"approved"}
    assert api_client.post(f"{URL}{body['id']}/execute/").json()["code"] == \
        "batch_transition_not_allowed"


@pytest.mark.django_db
def test_filter_saved_filter_errors_and_permissions(three_warehouses, api_client, group_user):
    make_orders(6)
    api_client.force_authenticate(group_user("warehouse"))
    r = api_client.post(URL, {"filter": {"province": "四川"}}, format="json")
    assert r.status_code == 201 and r.json()["counts"]["total"] == 2
    saved = OutboundFilter.objects.create(name="top", params={"limit": 4})
    r = api_client.post(URL, {"filter": {"saved": saved.pk}, "handover": "auto"}, format="json")
    assert r.status_code == 201 and r.json()["counts"]["total"] == 4
    assert r.json()["handover"] == "auto"
    assert api_client.post(URL, {"filter": {"colour": "red"}}, format="json").json()["code"] \
        == "invalid_filter"
    assert api_client.post(URL, {"orders": ["not-a-uuid"]}, format="json").json()["code"] \
        == "invalid_oid"
    r = api_client.post(URL, {}, format="json")
    assert r.status_code == 400
    draft = api_client.post(URL, {"filter": {}}, format="json").json()["id"]
    r = api_client.post(f"{URL}{draft}/rollback/")
    assert r.status_code == 409 and r.json()["code"] == "batch_transition_not_allowed"
    assert api_client.get(f"{URL}999999/").status_code == 404

    api_client.force_authenticate(group_user("ops"))
    assert api_client.get(f"{URL}{draft}/").status_code == 200
    r = api_client.post(f"{URL}{draft}/execute/")
    assert r.status_code == 403
    assert api_client.post(URL, {"filter": {}}, format="json").status_code == 403
