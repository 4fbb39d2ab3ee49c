"""The import/export screens built by the other teams, checked against the same rules:
dry run first, all rows or none, natural keys, formulas escaped, own permissions.

A strict xfail marks a rule the owning admin does not meet yet (the reason says the fix);
it turns into a failure as soon as the fix lands, so the marker gets removed then.
"""

from __future__ import annotations

import pytest
from import_export.tmp_storages import TempFolderStorage

from invoicing.models import TaxCode, TaxProfile
from tests.factories.orders import make_sku
from tests.factories.warehouses import make_warehouse
from warehouses.models import StockLevel

from .conftest import csv_bytes, read_csv, upload

pytestmark = pytest.mark.django_db


def _forged_confirm(client, url: str, content: bytes):
    storage = TempFolderStorage(encoding="utf-8-sig", read_mode="r")
    storage.save(content)
    return client.post(url, {"import_file_name": storage.name, "original_file_name": "x.csv",
                             "format": "0", "resource": ""})


def _stock_file(unknown_sku: bool = True):
    make_warehouse("SH")
    make_sku("A")
    make_sku("B")
    rows = [["SH", "A", "10"], ["SH", "B", "lots"]]
    if unknown_sku:
        rows.append(["SH", "NOPE", "3"])
    return csv_bytes(["warehouse", "sku", "on_hand"], rows)


def test_stock_import_dry_run_lists_bad_rows(admin_client):
    content = _stock_file()
    response = admin_client.post("/admin/warehouses/stocklevel/import/",
                                 {"import_file": upload("s.csv", content), "format": "0",
                                  "resource": "0"})
    result = response.context["result"]
    assert len(result.invalid_rows) + sum(1 for row in result.rows if row.errors) == 2
    assert "confirm_form" not in response.context
    assert StockLevel.objects.count() == 0


def test_stock_import_confirm_is_all_or_nothing(admin_client):
    # Only a validation error (bad number), no hard error that would roll back anyway
    _forged_confirm(admin_client, "/admin/warehouses/stocklevel/process_import/",
                    _stock_file(unknown_sku=False))
    assert StockLevel.objects.count() == 0


def test_tax_code_export_escapes_and_round_trips(admin_client):
    TaxCode.objects.create(code="1030201010000000000", name="=食品", short_name="食品",
                           rate="0.13")
    response = admin_client.post("/admin/invoicing/taxcode/export/",
                                 {"format": "0", "resource": "0",
                                  **{f"taxcodeexportresource_{f}": "on"
                                     for f in ("code", "name", "short_name", "rate")}})
    row = read_csv(response.content)[0]
    assert row["name"] == "'=食品" and row["code"] == "1030201010000000000"


def test_tax_profile_export_is_ops_only(client, group_user):
    TaxProfile.objects.create(title_type="personal", name="王小明", phone="13800138000")
    client.force_login(group_user("finance"))
    assert client.get("/admin/invoicing/taxprofile/export/").status_code == 403
