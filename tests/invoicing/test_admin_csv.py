import io

import pytest
import tablib
from django.urls import reverse

from core.exports.formats import CSV
from invoicing.models import TaxCode, TaxProfile
from invoicing.resources import (
    TaxCodeImportResource,
    TaxProfileExportResource,
    TaxProfileImportResource,
)
from tests.factories.invoicing import VALID_USCC, make_catalogue, make_profile
from tests.factories.orders import make_customer

pytestmark = pytest.mark.django_db
LEGACY = ["000000123456789", "00110101199003074512", "0" + VALID_USCC[1:]]


def test_profile_csv_round_trip_keeps_leading_zeros_and_escapes_formulae():
    customer = make_customer("b-77")
    for i, tax_id in enumerate(LEGACY):
        make_profile(customer=customer, tax_id=tax_id, name=f"零{i}号贸易有限公司",
                     account="0012300045", phone="+86 21 0000")
    make_profile(customer=None, tax_id="", name="=HYPERLINK(\"x\")", title_type="personal")
    # Exported through the admin's export format, which escapes formulas in every text cell.
    text = CSV().export_data(TaxProfileExportResource().export(TaxProfile.objects.order_by("id")))
    assert "'=HYPERLINK" in text and "'+86 21 0000" in text
    for tax_id in LEGACY:
        assert f",{tax_id}," in text
    # Re-import the same file into an empty table: every id comes back character for character.
    TaxProfile.objects.all().delete()
    data = tablib.Dataset().load(io.StringIO(text), format="csv")
    for row in range(len(data)):
        data[row] = tuple("" if h == "id" else v for h, v in zip(data.headers, data[row],
                                                                 strict=True))
    result = TaxProfileImportResource().import_data(data, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    assert sorted(TaxProfile.objects.exclude(tax_id="").values_list("tax_id", flat=True)) == \
        sorted(LEGACY)
    assert TaxProfile.objects.filter(name='=HYPERLINK("x")').exists()
    assert set(TaxProfile.objects.exclude(tax_id="").values_list("phone", flat=True)) == \
        {"+86 21 0000"}
    assert set(TaxProfile.objects.values_list("customer__channel_buyer_id", flat=True)) == \
        {"b-77", None}


def test_profile_import_update_keeps_history_and_normalises():
    profile = make_profile(tax_id=VALID_USCC)
    data = tablib.Dataset(headers=["id", "customer_channel", "customer_buyer_id", "title_type",
                                   "name", "tax_id", "address", "phone", "bank", "account",
                                   "email", "verified"])
    data.append([str(profile.pk), "", "", "enterprise", profile.name, " 000000123456789 ",
                 profile.address, profile.phone, profile.bank, profile.account, "", "0"])
    result = TaxProfileImportResource().import_data(data, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    profile.refresh_from_db()
    assert profile.tax_id == "000000123456789" and profile.version == 2
    assert profile.history.get().data["tax_id"] == VALID_USCC


def test_number_cells_refused():
    data = tablib.Dataset(headers=["code", "name", "short_name", "rate", "exemption",
                                   "valid_from", "valid_to"])
    data.append([1090511030000000000, "x", "", "0.13", "none", "", ""])
    result = TaxCodeImportResource().import_data(data, dry_run=True)
    assert result.has_validation_errors() or result.has_errors()


def test_tax_code_csv_import():
    data = tablib.Dataset(headers=["code", "name", "short_name", "rate", "exemption",
                                   "valid_from", "valid_to"])
    data.append(["0090511030000000000", "零开头编码", "零", "0.13", "none", "2020-01-01", ""])
    data.append(["6010000000000000000", "预付卡", "预付卡", "0", "non_taxable", "", ""])
    result = TaxCodeImportResource().import_data(data, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    assert TaxCode.objects.get(code="0090511030000000000").short_name == "零"


def test_admin_form_keeps_leading_zeros(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:invoicing_taxprofile_add")
    resp = client.post(url, {"title_type": "enterprise", "name": "零号贸易有限公司",
                             "tax_id": " 00110101199003074512 ", "address": "", "phone": "",
                             "bank": "", "account": "", "email": "",
                             "history-TOTAL_FORMS": "0", "history-INITIAL_FORMS": "0"})
    assert resp.status_code == 302, resp.content[:2000]
    profile = TaxProfile.objects.get(name="零号贸易有限公司")
    assert profile.tax_id == "00110101199003074512"
    change = reverse("admin:invoicing_taxprofile_change", args=[profile.pk])
    page = client.get(change).content.decode()
    assert 'value="00110101199003074512"' in page
    resp = client.post(change, {"title_type": "enterprise", "name": "零号贸易有限公司",
                                "tax_id": "000000123456789", "address": "", "phone": "",
                                "bank": "", "account": "", "email": "",
                                "history-TOTAL_FORMS": "1", "history-INITIAL_FORMS": "0"})
    assert resp.status_code == 302
    profile.refresh_from_db()
    assert profile.tax_id == "000000123456789" and profile.version == 2


def test_admin_screens_render(client, admin_user):
    make_catalogue()
    client.force_login(admin_user)
    for name in ["taxcode", "taxprofile", "sellerentity", "invoicerequest", "invoice"]:
        assert client.get(reverse(f"admin:invoicing_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:invoicing_taxprofile_import")).status_code == 200
