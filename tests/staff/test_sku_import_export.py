"""SKU import/export in the admin: dry-run preview with per-row errors, all-or-nothing
confirm, no-op re-import, and an export that round-trips (formulas escaped)."""

from __future__ import annotations

import re

import pytest
from import_export.tmp_storages import TempFolderStorage

from invoicing.models import TaxCode
from orders.models import Sku
from orders.resources import SkuExportResource
from tests.factories.orders import make_sku

from .conftest import csv_bytes, export_post_data, read_csv, upload

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "cold_chain", "high_value", "weight_g", "tax_code", "substitutes",
          "active"]
TAX_CODE = "1030201010000000000"
BAD_ROWS = {  # 0-based data row index -> (column, bad value, reason the preview must show)
    17: ("weight_g", "heavy", "is not a whole number"),
    503: ("tax_code", "9999999999999999999", "unknown"),
    998: ("cold_chain", "maybe", "is not a yes/no value"),
}


def _rows(bad: bool = True) -> list[list[str]]:
    rows = []
    for i in range(1000):
        row = [f"SKU-{i:04d}", f"商品 {i}", "1" if i % 7 == 0 else "0", "0", str(100 + i),
               TAX_CODE if i % 2 else "", "", "1"]
        if bad and i in BAD_ROWS:
            column, value, _ = BAD_ROWS[i]
            row[HEADER.index(column)] = value
        rows.append(row)
    return rows


@pytest.fixture
def tax_code():
    return TaxCode.objects.create(code=TAX_CODE, name="食品", short_name="食品", rate="0.13")


def _dry_run(client, content: bytes):
    return client.post("/admin/orders/sku/import/",
                       {"import_file": upload("skus.csv", content), "format": "0",
                        "resource": "0"})


def _forged_confirm(client, content: bytes):
    """POST the confirm step directly for a stored file (the page offers no button)."""
    storage = TempFolderStorage(encoding="utf-8-sig", read_mode="r")
    storage.save(content)
    return client.post("/admin/orders/sku/process_import/",
                       {"import_file_name": storage.name, "original_file_name": "skus.csv",
                        "format": "0", "resource": ""}, follow=True)


def test_dry_run_lists_exactly_the_three_bad_rows_with_reasons(admin_client, tax_code):
    # Given a 1,000-row file with 3 bad rows
    content = csv_bytes(HEADER, _rows())
    # When staff upload it
    response = _dry_run(admin_client, content)
    # Then the preview lists those 3 rows (file line = data index + 2) with their reasons
    assert response.status_code == 200
    result = response.context["result"]
    assert sorted(row.number for row in result.invalid_rows) == sorted(i + 1 for i in BAD_ROWS)
    assert not [row for row in result.rows if row.errors]
    page = response.content.decode()
    for _, _, reason in BAD_ROWS.values():
        assert reason in page
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert 'action="/admin/orders/sku/process_import/"' not in page
    # and nothing was written by the dry run
    assert Sku.objects.count() == 0


def test_confirm_writes_nothing_until_errors_are_fixed_then_reimport_is_a_noop(admin_client,
                                                                                tax_code):
    bad = csv_bytes(HEADER, _rows())
    response = _forged_confirm(admin_client, bad)
    assert Sku.objects.count() == 0
    assert any("Nothing was imported: 3 row(s)" in str(m) for m in response.context["messages"])

    # Fixed file: the preview offers the confirm step, confirming writes all 1,000 rows
    good = csv_bytes(HEADER, _rows(bad=False))
    preview = _dry_run(admin_client, good)
    assert not preview.context["result"].has_validation_errors()
    confirm = preview.context["confirm_form"]
    admin_client.post("/admin/orders/sku/process_import/", confirm.initial)
    assert Sku.objects.count() == 1000
    snapshot = list(Sku.objects.order_by("code").values())

    # Re-import of the same file: every row skipped, nothing changes
    preview = _dry_run(admin_client, good)
    totals = preview.context["result"].totals
    assert (totals["new"], totals["update"], totals["skip"]) == (0, 0, 1000)
    response = admin_client.post("/admin/orders/sku/process_import/",
                                 preview.context["confirm_form"].initial, follow=True)
    assert any("0 new, 0 updated, 0 deleted and 1000 skipped" in str(m)
               for m in response.context["messages"])
    assert list(Sku.objects.order_by("code").values()) == snapshot


FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+86 138", "-5 off", "@SUM(A1)",
            "plain 'quoted", "'=already"]


def test_export_round_trips_with_formulas_escaped(admin_client, tax_code):
    # Given SKUs whose names look like formulas
    for i, name in enumerate(FORMULAS):
        make_sku(f"F-{i}", name=name, weight_g=i, tax_code=tax_code if i % 2 else None)
    Sku.objects.get(code="F-1").substitutes.add(Sku.objects.get(code="F-0"),
                                               Sku.objects.get(code="F-2"))
    before = list(Sku.objects.order_by("code").values())
    # When exported as CSV
    response = admin_client.post("/admin/orders/sku/export/", export_post_data(SkuExportResource))
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese text
    rows = {row["code"]: row for row in read_csv(response.content)}
    # Then no cell starts a formula, and the escaping is a single apostrophe
    for row in rows.values():
        for value in row.values():
            assert not re.match(r"[=+\-@\t\r]", value), value
    assert rows["F-0"]["name"] == "'" + FORMULAS[0]
    assert rows["F-4"]["name"] == "plain 'quoted"
    assert rows["F-5"]["name"] == "''=already"
    assert rows["F-1"]["substitutes"] == "F-0|F-2"
    assert rows["F-1"]["tax_code"] == TAX_CODE
    # And importing the exported file back changes nothing (same values)
    preview = _dry_run(admin_client, response.content)
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert (result.totals["new"], result.totals["update"]) == (0, 0)
    admin_client.post("/admin/orders/sku/process_import/", preview.context["confirm_form"].initial)
    assert list(Sku.objects.order_by("code").values()) == before


def test_export_of_chosen_columns_only(admin_client):
    make_sku("C-1", name="x")
    data = export_post_data(SkuExportResource, fields=["code", "weight_g"])
    response = admin_client.post("/admin/orders/sku/export/", data)
    assert read_csv(response.content) == [{"code": "C-1", "weight_g": "0"}]


def test_numeric_code_cells_are_refused_not_cast():
    # An XLSX cell typed as a number has already lost leading zeros: refuse it.
    import tablib

    dataset = tablib.Dataset(headers=["code", "name", "cold_chain", "high_value", "weight_g",
                                      "tax_code", "substitutes", "active"])
    dataset.append([123, "n", "0", "0", "1", 1030201010000000000, "", "1"])
    from orders.resources import SkuImportResource

    result = SkuImportResource().import_data(dataset, dry_run=True)
    errors = [str(e.error) for row in result.rows for e in row.errors]
    errors += [str(row.error_dict) for row in result.invalid_rows]
    assert any("text cell" in e for e in errors), errors
    assert Sku.objects.count() == 0


@pytest.mark.parametrize(("group", "can_import", "can_export"), [
    ("ops", True, True), ("finance", False, True), ("warehouse", False, True),
])
def test_sku_import_export_permissions(staff_client, group, can_import, can_export):
    client = staff_client(group)
    assert (client.get("/admin/orders/sku/import/").status_code == 200) is can_import
    assert (client.get("/admin/orders/sku/export/").status_code == 200) is can_export
