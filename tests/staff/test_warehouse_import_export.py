"""Warehouse import/export: natural key ``code``, per-row validation, permissions."""

from __future__ import annotations

import pytest

from tests.factories.warehouses import make_warehouse
from warehouses.models import Warehouse
from warehouses.resources import WarehouseExportResource

from .conftest import csv_bytes, export_post_data, read_csv, upload

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "kind", "province", "city", "lat", "lng", "cold_chain",
          "daily_capacity", "active", "default_carrier"]


def _preview(client, content):
    return client.post("/admin/warehouses/warehouse/import/",
                       {"import_file": upload("wh.csv", content), "format": "0", "resource": "0"})


def test_import_preview_errors_then_round_trip(staff_client):
    ops = staff_client("ops")
    bad = csv_bytes(HEADER, [
        ["SH", "上海仓", "own", "上海", "上海市", "31.23", "121.47", "1", "800", "1", "SF"],
        ["XX", "bad", "own", "", "", "95", "10", "0", "10", "1", "ZTO"],      # latitude > 90
        ["YY", "bad", "castle", "", "", "", "", "0", "10", "1", "ZTO"],       # unknown kind
    ])
    result = _preview(ops, bad).context["result"]
    assert [row.number for row in result.invalid_rows] == [2, 3]
    assert Warehouse.objects.count() == 0

    good = csv_bytes(HEADER, [
        ["SH", "=上海仓", "own", "上海", "上海市", "31.230000", "121.470000", "1", "800", "1", "SF"]])
    preview = _preview(ops, good)
    ops.post("/admin/warehouses/warehouse/process_import/", preview.context["confirm_form"].initial)
    warehouse = Warehouse.objects.get(code="SH")
    assert (warehouse.name, warehouse.daily_capacity, warehouse.cold_chain) == ("=上海仓", 800, True)

    exported = ops.post("/admin/warehouses/warehouse/export/",
                        export_post_data(WarehouseExportResource)).content
    assert read_csv(exported)[0]["name"] == "'=上海仓"
    again = _preview(ops, exported).context["result"]
    assert (again.totals["new"], again.totals["update"], again.totals["skip"]) == (0, 0, 1)


@pytest.mark.parametrize(("group", "can_import"), [("ops", True), ("warehouse", False),
                                                    ("finance", False)])
def test_permissions(staff_client, group, can_import):
    make_warehouse("SH")
    client = staff_client(group)
    assert (client.get("/admin/warehouses/warehouse/import/").status_code == 200) is can_import
    assert client.get("/admin/warehouses/warehouse/export/").status_code == 200
