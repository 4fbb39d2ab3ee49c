from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_mixins import BigTableAdminMixin, ReadOnlyAdminMixin
from core.errors import DomainError
from core.exports.admin import RulesExportMixin, RulesImportExportMixin
from core.formatting import yuan
from orders.models import Customer, Order, OrderEvent, OrderLine, Shop, Sku
from orders.resources import OrderExportResource, SkuExportResource, SkuImportResource
from orders.services.transitions import order_available_transitions, order_transition

TRANSITION_LABELS = {
    "pay": _("Confirm payment"),
    "approve": _("Approve"),
    "hold": _("Put on hold"),
    "release": _("Release"),
    "allocate": _("Allocate stock"),
    "start_picking": _("Start picking"),
    "ship": _("Ship"),
    "deliver": _("Mark delivered"),
    "complete": _("Complete"),
    "cancel": _("Cancel order"),
}


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "channel", "api_base_url", "active"]
    list_filter = ["channel", "active"]
    search_fields = ["code", "name"]
    exclude = []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for secret in ("app_secret", "access_token"):
            if secret in form.base_fields:
                from django import forms

                form.base_fields[secret].widget = forms.PasswordInput(render_value=True)
        return form


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["channel_buyer_id", "nick", "channel", "level", "blacklisted"]
    list_filter = ["channel", "level", "blacklisted"]
    search_fields = ["=channel_buyer_id", "nick"]


@admin.register(Sku)
class SkuAdmin(RulesImportExportMixin, admin.ModelAdmin):
    """SKU master data; CSV/XLSX import and export by SKU code."""

    import_permissions = ("orders.add_sku", "orders.change_sku")
    export_permission = "orders.view_sku"
    list_display = ["code", "name", "cold_chain", "high_value", "weight_g", "tax_code", "active"]
    list_filter = ["cold_chain", "high_value", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["substitutes"]
    raw_id_fields = ["tax_code"]
    list_select_related = ["tax_code"]

    def get_import_resource_classes(self, request):
        return [SkuImportResource]

    def get_export_resource_classes(self, request):
        return [SkuExportResource]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["line_no", "sku", "merchant_code", "substituted_from", "title", "quantity",
              "unit_price", "amount", "refund_status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sku")


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "type", "actor", "source", "payload"]
    readonly_fields = fields
    ordering = ["id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Order)
class OrderAdmin(BigTableAdminMixin, RulesExportMixin, admin.ModelAdmin):
    """The order list.  Export (chosen columns, the current filters and search, CSV/XLSX)
    carries receiver personal data, so it needs ``core.export_order`` (ops only)."""

    change_form_template = "admin/orders/order/change_form.html"
    export_permission = "core.export_order"
    list_display = ["oid_short", "channel", "shop", "channel_order_id", "status", "hold_reason",
                    "paid_display", "receiver_name", "priority_score", "warehouse", "created_at"]
    list_filter = ["status", "channel", "shop", "warehouse", "hold_reason", "refund_status",
                   ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=channel_order_id", "=receiver_phone"]
    search_help_text = _("OID, channel order id or receiver phone (exact)")
    list_select_related = ["shop", "warehouse"]
    date_hierarchy = None
    ordering = ["-created_at", "-id"]
    inlines = [OrderLineInline, OrderEventInline]
    readonly_fields = [
        "oid", "channel", "shop", "channel_order_id", "status", "channel_status",
        "channel_modified_at", "channel_created_at", "hold_reason", "refund_status", "customer",
        "receiver_name", "receiver_phone", "receiver_province", "receiver_city",
        "receiver_district", "receiver_address", "receiver_masked", "goods_amount",
        "discount_amount", "shipping_amount", "tax_amount", "paid_amount", "currency", "presale",
        "cross_border", "buyer_message", "invoice_request", "paid_at", "priority_score",
        "priority_breakdown", "routing", "warehouse", "carrier", "tracking_no", "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["oid", ("channel", "shop", "channel_order_id"),
                           ("status", "hold_reason", "refund_status"),
                           ("channel_status", "channel_modified_at", "channel_created_at")]}),
        (_("Buyer and receiver"), {"fields": ["customer", ("receiver_name", "receiver_phone",
                                              "receiver_masked"),
                                              ("receiver_province", "receiver_city",
                                               "receiver_district"), "receiver_address",
                                              "buyer_message", "seller_memo"]}),
        (_("Amounts"), {"fields": [("goods_amount", "discount_amount", "shipping_amount",
                                    "tax_amount", "paid_amount", "currency")]}),
        (_("Fulfilment"), {"fields": [("presale", "cross_border"), ("paid_at", "promised_ship_by"),
                                      ("priority_score", "priority_breakdown"),
                                      ("warehouse", "routing"), ("carrier", "tracking_no"),
                                      "invoice_request", ("created_at", "updated_at")]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_export_resource_classes(self, request):
        return [OrderExportResource]

    @admin.display(description=_("OID"), ordering="oid")
    def oid_short(self, obj):
        return str(obj.oid)[:8]

    @admin.display(description=_("paid"), ordering="paid_amount")
    def paid_display(self, obj):
        return yuan(obj.paid_amount)

    def get_search_results(self, request, queryset, search_term):
        """Exact matches only, each served by a b-tree index (no UPPER(), no LIKE scans)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(oid=uuid.UUID(term)), False
        except ValueError:
            return queryset.filter(Q(channel_order_id=term) | Q(receiver_phone=term)), False

    # -------------------------------------------------------------- transition buttons

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id, name):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = get_object_or_404(Order, pk=object_id)
        params = {k: request.POST.get(k) for k in ("reason", "carrier", "tracking_no")}
        try:
            order_transition(oid=order.oid, name=name, actor=request.user, source="admin",
                             params=params, note=request.POST.get("note", ""))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                _("Order %(order)s: %(action)s done.")
                % {"order": order, "action": TRANSITION_LABELS.get(name, name)},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        order = self.get_object(request, object_id)
        if order is not None:
            extra_context["transitions"] = [
                (name, TRANSITION_LABELS.get(name, name),
                 reverse("admin:orders_order_transition", args=[order.pk, name]))
                for name in order_available_transitions(order=order, user=request.user)
            ]
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(OrderEvent)
class OrderEventAdmin(BigTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "type", "order_link", "actor", "source"]
    list_filter = ["type", "source", ("occurred_at", admin.DateFieldListFilter)]
    list_select_related = ["order", "actor"]
    raw_id_fields = ["order"]
    ordering = ["-id"]

    @admin.display(description=_("order"))
    def order_link(self, obj):
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html('<a href="{}">{}</a>', url, obj.order)
