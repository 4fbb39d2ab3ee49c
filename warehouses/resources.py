"""django-import-export resources (interfaces: parse rows, call one service).

Separate import and export resources; natural keys (warehouse code, SKU code) are backed
by unique constraints; stock rows are written only through ``stock_level_set`` so a CSV
import takes the same row locks and checks as a WMS sync (and never goes below reserved).
"""

from __future__ import annotations

from import_export import fields, resources, widgets

from core.exports.formula import TextWidget
from core.exports.widgets import CoordinateWidget, NonNegativeIntegerWidget, StrictBooleanWidget
from orders.models import Sku
from warehouses.models import StockLevel, Warehouse
from warehouses.services.stock import stock_level_set


class WarehouseExportResource(resources.ModelResource):
    """Warehouses by ``code``; text cells formula-escaped by the export formats."""

    code = fields.Field(attribute="code", column_name="code", widget=TextWidget(strict_text=True))
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    kind = fields.Field(attribute="kind", column_name="kind", widget=TextWidget())
    province = fields.Field(attribute="province", column_name="province", widget=TextWidget())
    city = fields.Field(attribute="city", column_name="city", widget=TextWidget())
    lat = fields.Field(attribute="lat", column_name="lat", widget=CoordinateWidget())
    lng = fields.Field(attribute="lng", column_name="lng", widget=CoordinateWidget())
    cold_chain = fields.Field(attribute="cold_chain", column_name="cold_chain",
                              widget=StrictBooleanWidget())
    daily_capacity = fields.Field(attribute="daily_capacity", column_name="daily_capacity",
                                  widget=NonNegativeIntegerWidget())
    active = fields.Field(attribute="active", column_name="active", widget=StrictBooleanWidget())
    default_carrier = fields.Field(attribute="default_carrier", column_name="default_carrier",
                                   widget=TextWidget())

    class Meta:
        model = Warehouse
        fields = ["code", "name", "kind", "province", "city", "lat", "lng", "cold_chain",
                  "daily_capacity", "active", "default_carrier"]
        export_order = fields


class WarehouseImportResource(WarehouseExportResource):
    """Creates or updates by ``code`` (unique); unchanged rows are skipped; model validation
    (kind choices, coordinate ranges) gives per-row errors."""

    class Meta(WarehouseExportResource.Meta):
        import_id_fields = ["code"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


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
