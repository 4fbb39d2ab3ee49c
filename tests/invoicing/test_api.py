import pytest

from invoicing.models import TaxProfile
from tests.factories.invoicing import (
    GOODS_13,
    VALID_USCC,
    enterprise_buyer,
    make_catalogue,
    make_order,
    make_seller,
)

pytestmark = pytest.mark.django_db
LEGACY_15 = "000000123456789"
LEGACY_20 = "00110101199003074512"


def test_request_create_shape_and_precheck(admin_api):
    make_catalogue()
    make_seller("99999.99")
    order = make_order([(10, "25000.00")])
    resp = admin_api.post("/api/v1/invoices/requests/", {
        "order": str(order.oid), "kind": "special",
        "buyer": enterprise_buyer(name="上海流转(贸易)有限公司", tax_id=f" {VALID_USCC.lower()}")},
        format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["status"] == "prechecked"
    assert body["buyer"]["tax_id"] == VALID_USCC and body["buyer"]["name"] == "上海流转（贸易）有限公司"
    assert body["precheck"]["ok"] is True and body["precheck"]["problems"] == []
    assert {f["fix"] for f in body["precheck"]["fixes"]} >= {"brackets", "upper_trim"}
    assert len(body["plan"]) == 3
    assert set(body["plan"][0]) >= {"amount", "tax", "total", "lines", "remark"}
    assert isinstance(body["plan"][0]["total"], str)


def test_request_with_problems_stays_draft(admin_api):
    make_catalogue()
    make_seller()
    order = make_order()
    resp = admin_api.post("/api/v1/invoices/requests/", {
        "order": str(order.oid), "kind": "special", "buyer": enterprise_buyer(bank="")},
        format="json")
    body = resp.json()
    assert body["status"] == "draft" and body["precheck"]["ok"] is False
    assert body["precheck"]["problems"][0]["code"] == "special_invoice_profile_incomplete"
    assert body["precheck"]["problems"][0]["field"] == "bank"
    resp = admin_api.post(f"/api/v1/invoices/requests/{body['id']}/submit/")
    assert resp.status_code == 409 and resp.json()["code"] == "transition_not_allowed"


def test_tax_id_as_number_refused(admin_api):
    make_catalogue()
    make_seller()
    order = make_order()
    resp = admin_api.post("/api/v1/invoices/requests/", {
        "order": str(order.oid), "kind": "ordinary",
        "buyer": {**enterprise_buyer(), "tax_id": 123456789012345}}, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid"


def test_unknown_order_404(admin_api):
    make_seller()
    resp = admin_api.post("/api/v1/invoices/requests/", {
        "order": "6a1f0c1e-0000-4000-8000-000000000000", "kind": "ordinary",
        "buyer": enterprise_buyer()}, format="json")
    assert resp.status_code == 404 and resp.json()["code"] == "order_not_found"


def test_request_from_profile(admin_api):
    make_catalogue()
    make_seller()
    order = make_order()
    profile = TaxProfile.objects.create(customer=order.customer, **enterprise_buyer(tax_id=LEGACY_20))
    resp = admin_api.post("/api/v1/invoices/requests/", {
        "order": str(order.oid), "kind": "ordinary", "profile": profile.pk}, format="json")
    assert resp.json()["buyer"]["tax_id"] == LEGACY_20
    # Without profile or buyer the order's linked profile (customer) is used.
    resp = admin_api.post("/api/v1/invoices/requests/", {
        "order": str(order.oid), "kind": "ordinary"}, format="json")
    assert resp.status_code == 201 and resp.json()["profile"] == profile.pk


@pytest.mark.parametrize("tax_id", [LEGACY_15, LEGACY_20, "0" + VALID_USCC[1:]])
def test_profile_tax_id_survives_api_in_and_out(admin_api, tax_id):
    resp = admin_api.post("/api/v1/tax-profiles/", {
        "title_type": "enterprise", "name": "零号贸易有限公司", "tax_id": tax_id}, format="json")
    assert resp.status_code == 201, resp.json()
    assert resp.json()["tax_id"] == tax_id
    pk = resp.json()["id"]
    assert admin_api.get(f"/api/v1/tax-profiles/{pk}/").json()["tax_id"] == tax_id
    assert TaxProfile.objects.get(pk=pk).tax_id == tax_id
    listed = admin_api.get("/api/v1/tax-profiles/", {"tax_id": tax_id}).json()["results"]
    assert [row["tax_id"] for row in listed] == [tax_id]


def test_profile_normalised_and_history_on_edit(admin_api):
    resp = admin_api.post("/api/v1/tax-profiles/", {
        "title_type": "enterprise", "name": "甲公司有限公司", "tax_id": f"  {VALID_USCC.lower()} "},
        format="json")
    pk = resp.json()["id"]
    assert resp.json()["tax_id"] == VALID_USCC
    resp = admin_api.patch(f"/api/v1/tax-profiles/{pk}/", {"address": "新地址"}, format="json")
    assert resp.status_code == 200 and resp.json()["version"] == 2
    profile = TaxProfile.objects.get(pk=pk)
    (old,) = profile.history.all()
    assert old.version == 1 and old.changed == ["address"] and old.data["address"] == ""


def test_tax_codes_api(admin_api, api_client, group_user):
    make_catalogue()
    resp = admin_api.get(f"/api/v1/tax-codes/{GOODS_13}/")
    assert resp.json()["rate"] == "0.1300" and resp.json()["exemption"] == "none"
    resp = admin_api.post("/api/v1/tax-codes/", {"code": "0123", "name": "x", "rate": "0.13"},
                          format="json")
    assert resp.status_code == 400
    api_client.force_authenticate(group_user("ops"))
    resp = api_client.post("/api/v1/tax-codes/", {"code": "1" * 19, "name": "x", "rate": "0.13"},
                           format="json")
    assert resp.status_code == 403


def test_invoice_list_and_red_api(admin_api, gateway, django_capture_on_commit_callbacks):
    from invoicing.services.sending import invoice_send_now

    make_catalogue()
    make_seller()
    order = make_order([(1, "100.00"), (1, "20.00")])
    body = admin_api.post("/api/v1/invoices/requests/", {
        "order": str(order.oid), "kind": "ordinary", "buyer": enterprise_buyer()},
        format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        resp = admin_api.post(f"/api/v1/invoices/requests/{body['id']}/submit/")
    assert resp.status_code == 202 and resp.json()["status"] == "submitted"
    (invoice_id,) = resp.json()["invoices"]
    invoice_send_now(invoice_id=invoice_id)
    listed = admin_api.get("/api/v1/invoices/", {"order": str(order.oid)}).json()["results"]
    assert [x["status"] for x in listed] == ["issued"] and len(listed[0]["number"]) == 20
    resp = admin_api.post(f"/api/v1/invoices/{invoice_id}/red/",
                          {"reason": "sales_return", "lines": [{"index": 2}]}, format="json")
    assert resp.status_code == 202, resp.json()
    assert resp.json()["direction"] == "red" and resp.json()["total"] == "-20.00"
    resp = admin_api.post(f"/api/v1/invoices/{invoice_id}/red/", {"reason": "bogus"},
                          format="json")
    assert resp.status_code == 400


def test_finance_can_and_ops_cannot_request(api_client, group_user):
    make_catalogue()
    make_seller()
    order = make_order()
    payload = {"order": str(order.oid), "kind": "ordinary", "buyer": enterprise_buyer()}
    api_client.force_authenticate(group_user("ops"))
    assert api_client.post("/api/v1/invoices/requests/", payload, format="json").status_code == 403
    api_client.force_authenticate(group_user("finance", "fin"))
    assert api_client.post("/api/v1/invoices/requests/", payload, format="json").status_code == 201
