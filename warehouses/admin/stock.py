from __future__ import annotations

from collections import defaultdict

from django.contrib import admin
from django.db.models import F, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportMixin

from core.admin_mixins import ReadOnlyAdminMixin
from core.exports.admin import RulesImportExportMixin
from warehouses import selectors
from warehouses.models import Reservation, StockLevel, StockSync, Warehouse
from warehouses.resources import (
    StockLevelExportResource,
    StockLevelImportResource,
    WarehouseExportResource,
    WarehouseImportResource,
)


@admin.register(Warehouse)
class WarehouseAdmin(RulesImportExportMixin, admin.ModelAdmin):
    import_permissions = ("warehouses.add_warehouse", "warehouses.change_warehouse")
    export_permission = "warehouses.view_warehouse"
    list_display = ["code", "name", "kind", "province", "city", "cold_chain", "daily_capacity",
                    "active"]
    list_filter = ["kind", "cold_chain", "active", "province"]
    search_fields = ["code", "name", "city"]

    def has_delete_permission(self, request, obj=None):
        return False  # orders and stock refer to warehouses; deactivate instead

    def get_import_resource_classes(self, request):
        return [WarehouseImportResource]

    def get_export_resource_classes(self, request):
        return [WarehouseExportResource]


class LowStockFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "low"

    def lookups(self, request, model_admin):
        return [("1", _("Low (available ≤ threshold)")), ("0", _("Out of stock"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(available_qty__lte=F("low_stock_threshold"))
        if self.value() == "0":
            return queryset.filter(available_qty__lte=0)
        return queryset


def _available_html(available: int, threshold: int):
    if available <= 0:
        return format_html('<strong style="color:#ba2121">{}</strong>', available)
    if available <= threshold:
        return format_html('<strong style="color:#c77c00">{}</strong>', available)
    return format_html("{}", available)


@admin.register(StockLevel)
class StockLevelAdmin(ImportMixin, ExportMixin, admin.ModelAdmin):
    """The stock board: one row per SKU × warehouse; ``board/`` shows the matrix."""

    change_list_template = "admin/warehouses/stocklevel/change_list.html"
    list_display = ["sku", "warehouse", "on_hand", "reserved", "available_display",
                    "low_stock_threshold", "updated_at"]
    list_filter = ["warehouse", LowStockFilter, "sku__cold_chain"]
    search_fields = ["sku__code", "sku__name"]
    search_help_text = _("SKU code or name")
    list_select_related = ["sku", "warehouse"]
    raw_id_fields = ["sku"]
    readonly_fields = ["warehouse", "sku", "on_hand", "reserved", "updated_at"]
    fields = ["warehouse", "sku", "on_hand", "reserved", "low_stock_threshold", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(available_qty=selectors.AVAILABLE)

    @admin.display(description=_("available"), ordering="available_qty")
    def available_display(self, obj):
        return _available_html(obj.available_qty, obj.low_stock_threshold)

    def has_add_permission(self, request):
        return False  # rows come from WMS sync and CSV import

    def has_delete_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request):
        return request.user.has_perm("warehouses.import_stocklevel")

    def has_export_permission(self, request):
        return request.user.has_perm("warehouses.view_stocklevel")

    def get_import_resource_classes(self, request):
        return [StockLevelImportResource]

    def get_export_resource_classes(self, request):
        return [StockLevelExportResource]

    def get_urls(self):
        return [path("board/", self.admin_site.admin_view(self.board_view),
                     name="warehouses_stocklevel_board"), *super().get_urls()]

    def board_view(self, request):
        """SKU × warehouse matrix of available units, low stock highlighted."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        warehouses = list(Warehouse.objects.filter(active=True).order_by("code"))
        wanted = request.GET.get("warehouse")
        if wanted:
            warehouses = [w for w in warehouses if w.code == wanted]
        term = (request.GET.get("q") or "").strip()
        rows = selectors.stock_list(warehouse=wanted or None)
        if term:
            rows = rows.filter(Q(sku__code__icontains=term) | Q(sku__name__icontains=term))
        matrix: dict = defaultdict(dict)
        skus = {}
        for level in rows[:5000]:
            skus[level.sku.code] = level.sku
            matrix[level.sku.code][level.warehouse.code] = level
        table = [
            (skus[code], [
                (matrix[code].get(w.code),
                 _available_html(matrix[code][w.code].available_qty,
                                 matrix[code][w.code].low_stock_threshold)
                 if w.code in matrix[code] else "–")
                for w in warehouses])
            for code in sorted(skus)
        ]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Stock board"), "warehouses": warehouses, "table": table,
                   "all_warehouses": Warehouse.objects.filter(active=True).order_by("code"),
                   "selected": wanted or "", "q": term,
                   "list_url": reverse("admin:warehouses_stocklevel_changelist")}
        return TemplateResponse(request, "admin/warehouses/stocklevel/board.html", context)


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "line", "sku", "warehouse", "quantity", "created_at"]
    list_filter = ["warehouse"]
    search_fields = ["=sku__code", "=order__channel_order_id"]
    list_select_related = ["order", "line", "sku", "warehouse"]
    raw_id_fields = ["order", "line", "sku"]
    show_full_result_count = False


@admin.register(StockSync)
class StockSyncAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["sync_id", "source", "actor", "rows", "changed", "received_at"]
    list_filter = ["source"]
    search_fields = ["=sync_id"]
    list_select_related = ["actor"]
