"""django-import-export resources (interfaces: parse rows, call one service).

Separate import and export resources; natural keys (warehouse code, SKU code) are backed
by unique constraints; stock rows are written only through ``stock_level_set`` so a CSV
import takes the same row locks and checks as a WMS sync (and never goes below reserved).
"""

from __future__ import annotations

from import_export import fields, resources, widgets

from orders.models import Sku
from warehouses.models import StockLevel, Warehouse
from warehouses.services.stock import stock_level_set


class WarehouseResource(resources.ModelResource):
    class Meta:
        model = Warehouse
        import_id_fields = ["code"]
        fields = ["code", "name", "kind", "province", "city", "lat", "lng", "cold_chain",
                  "daily_capacity", "active"]
        skip_unchanged = True
        report_skipped = True


class StockLevelImportResource(resources.ModelResource):
    """CSV columns: ``warehouse, sku, on_hand`` (absolute on-hand levels)."""

    warehouse = fields.Field(attribute="warehouse", column_name="warehouse",
                             widget=widgets.ForeignKeyWidget(Warehouse, "code"))
    sku = fields.Field(attribute="sku", column_name="sku", widget=widgets.ForeignKeyWidget(Sku, "code"))
    on_hand = fields.Field(attribute="on_hand", column_name="on_hand", widget=widgets.IntegerWidget())

    class Meta:
        model = StockLevel
        import_id_fields = ["warehouse", "sku"]
        fields = ["warehouse", "sku", "on_hand"]
        skip_unchanged = True
        report_skipped = True

    def do_instance_save(self, instance, is_create):
        stock_level_set(warehouse=instance.warehouse.code, sku=instance.sku.code,
                        on_hand=instance.on_hand)


class StockLevelExportResource(resources.ModelResource):
    warehouse = fields.Field(attribute="warehouse__code", column_name="warehouse")
    sku = fields.Field(attribute="sku__code", column_name="sku")
    available = fields.Field(attribute="available", column_name="available")

    class Meta:
        model = StockLevel
        fields = ["warehouse", "sku", "on_hand", "reserved", "available"]
        export_order = ["warehouse", "sku", "on_hand", "reserved", "available"]
