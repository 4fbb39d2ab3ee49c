"""Spreadsheet import/export of orders (export only) and SKUs (interfaces, no logic).

* Natural keys: SKU ``code`` (unique); orders are identified by ``oid`` and exported with
  the codes of their shop and warehouse, never database ids.
* The order ``status`` is exported for reconciliation but there is no order import: FSM
  states change only through services.
* Text columns go through ``TextWidget`` (formula escaping that round-trips; ids and phones
  stay strings), amounts are plain ``1234.50``, times ISO 8601 in Asia/Shanghai.
"""

from __future__ import annotations

from import_export import fields, resources

from core.exports.formula import TextWidget
from core.exports.widgets import (
    IsoDateTimeWidget,
    MoneyWidget,
    NaturalKeyWidget,
    NonNegativeIntegerWidget,
    StrictBooleanWidget,
    StrictManyToManyWidget,
)
from invoicing.models import TaxCode
from orders.models import Order, Sku


def _text(attribute: str, column: str | None = None, **kwargs) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column or attribute,
                        widget=TextWidget(**kwargs))


def _money(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=MoneyWidget())


def _time(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=IsoDateTimeWidget())


class OrderExportResource(resources.ModelResource):
    """One row per order for reconciliation; columns are selectable in the export form."""

    oid = _text("oid")
    channel = _text("channel")
    shop = _text("shop__code", "shop")
    channel_order_id = _text("channel_order_id")
    status = _text("status")
    channel_status = _text("channel_status")
    hold_reason = _text("hold_reason")
    refund_status = _text("refund_status")
    buyer_id = _text("customer__channel_buyer_id", "buyer_id")
    receiver_name = _text("receiver_name")
    receiver_phone = _text("receiver_phone")
    receiver_province = _text("receiver_province")
    receiver_city = _text("receiver_city")
    receiver_district = _text("receiver_district")
    receiver_address = _text("receiver_address")
    goods_amount = _money("goods_amount")
    discount_amount = _money("discount_amount")
    shipping_amount = _money("shipping_amount")
    tax_amount = _money("tax_amount")
    paid_amount = _money("paid_amount")
    currency = _text("currency")
    paid_at = _time("paid_at")
    promised_ship_by = _time("promised_ship_by")
    warehouse = _text("warehouse__code", "warehouse")
    carrier = _text("carrier")
    tracking_no = _text("tracking_no")
    created_at = _time("created_at")

    class Meta:
        model = Order
        fields = [
            "oid", "channel", "shop", "channel_order_id", "status", "channel_status",
            "hold_reason", "refund_status", "buyer_id", "receiver_name", "receiver_phone",
            "receiver_province", "receiver_city", "receiver_district", "receiver_address",
            "goods_amount", "discount_amount", "shipping_amount", "tax_amount", "paid_amount",
            "currency", "paid_at", "promised_ship_by", "warehouse", "carrier", "tracking_no",
            "created_at",
        ]
        export_order = fields
        chunk_size = 2000

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("shop", "warehouse", "customer")


class SkuExportResource(resources.ModelResource):
    code = _text("code", strict_text=True)
    name = _text("name")
    cold_chain = fields.Field(attribute="cold_chain", column_name="cold_chain",
                              widget=StrictBooleanWidget())
    high_value = fields.Field(attribute="high_value", column_name="high_value",
                              widget=StrictBooleanWidget())
    weight_g = fields.Field(attribute="weight_g", column_name="weight_g",
                            widget=NonNegativeIntegerWidget())
    tax_code = fields.Field(attribute="tax_code", column_name="tax_code",
                            widget=NaturalKeyWidget(TaxCode, "code"))
    substitutes = fields.Field(attribute="substitutes", column_name="substitutes",
                               widget=StrictManyToManyWidget(Sku, field="code"))
    active = fields.Field(attribute="active", column_name="active", widget=StrictBooleanWidget())

    class Meta:
        model = Sku
        fields = ["code", "name", "cold_chain", "high_value", "weight_g", "tax_code",
                  "substitutes", "active"]
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("tax_code").prefetch_related("substitutes")


class SkuImportResource(SkuExportResource):
    """Creates or updates SKUs by ``code``; an unchanged row is skipped (re-import = no-op).

    ``substitutes`` must name SKUs that already exist (or come earlier in the file).
    """

    class Meta(SkuExportResource.Meta):
        import_id_fields = ["code"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
