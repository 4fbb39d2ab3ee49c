"""Alert board, SLA / policy / inbound tables, and the fulfilment-options panel."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_mixins import BigTableAdminMixin, ReadOnlyAdminMixin
from core.errors import DomainError
from orders.models import Order

from . import selectors
from .models import (
    OPEN_Q,
    Alert,
    AlertNotificationRule,
    Compensation,
    FulfilmentDecision,
    FulfilmentPolicy,
    InboundLine,
    InboundShipment,
    StuckRule,
)
from .services.choose import CHOOSE_PERM, fulfillment_option_choose
from .services.lifecycle import alerts_acknowledge, alerts_assign
from .services.options import fulfillment_options
from .services.preorders import inbound_receive


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"
    BUCKETS = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "24h": timedelta(hours=24)}

    def lookups(self, request, model_admin):
        return [("1h", _("under 1 hour")), ("4h", _("under 4 hours")),
                ("24h", _("under 24 hours")), ("old", _("older than 24 hours"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value in self.BUCKETS:
            return queryset.filter(opened_at__gt=timezone.now() - self.BUCKETS[value])
        if value == "old":
            return queryset.filter(opened_at__lte=timezone.now() - self.BUCKETS["24h"])
        return queryset


class OpenFilter(admin.SimpleListFilter):
    title = _("open")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(OPEN_Q)
        if self.value() == "no":
            return queryset.exclude(OPEN_Q)
        return queryset


class AssignForm(ActionForm):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), required=False,
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username"),
    )


@admin.register(Alert)
class AlertAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ["id", "kind", "severity", "status", "order_link", "age", "assignee",
                    "opened_at", "options_link"]
    list_filter = [OpenFilter, "kind", "severity", "status", AgeFilter, "assignee"]
    list_select_related = ["order", "assignee"]
    search_fields = ["=order__channel_order_id", "=order__oid", "=key"]
    date_hierarchy = None
    action_form = AssignForm
    actions = ["acknowledge", "assign"]
    readonly_fields = ["kind", "severity", "order", "key", "status", "details", "opened_at",
                       "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by",
                       "resolution", "published_at", "options_link"]
    fields = readonly_fields[:4] + ["assignee"] + readonly_fields[4:]
    raw_id_fields = ["order"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("order"))
    def order_link(self, obj):
        if not obj.order_id:
            return obj.key
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html('<a href="{}">{}</a>', url, obj.order)

    @admin.display(description=_("age"))
    def age(self, obj):
        end = obj.resolved_at or timezone.now()
        minutes = int((end - obj.opened_at).total_seconds() // 60)
        if minutes >= 60:
            return _("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}
        return _("%(m)d min") % {"m": minutes}

    @admin.display(description=_("fulfilment options"))
    def options_link(self, obj):
        if obj.kind != "out_of_stock" or not obj.order_id:
            return "–"
        url = reverse("admin:alerts_fulfilment_options", args=[obj.order.oid])
        return format_html('<a href="{}">{}</a>', url, _("Options"))

    @admin.action(description=_("Acknowledge selected alerts"), permissions=["acknowledge"])
    def acknowledge(self, request, queryset):
        n = alerts_acknowledge(alert_ids=queryset.values_list("pk", flat=True), actor=request.user)
        self.message_user(request, _("%(n)d alert(s) acknowledged.") % {"n": n}, messages.SUCCESS)

    @admin.action(description=_("Assign selected alerts to the chosen user"),
                  permissions=["acknowledge"])
    def assign(self, request, queryset):
        try:
            assignee = AssignForm.base_fields["assignee"].clean(request.POST.get("assignee") or None)
        except forms.ValidationError:
            assignee = None
        if assignee is None:
            self.message_user(request, _("Choose the user to assign the alerts to."),
                              messages.ERROR)
            return
        try:
            n = alerts_assign(alert_ids=queryset.values_list("pk", flat=True), assignee=assignee,
                              actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, _("%(n)d alert(s) assigned to %(who)s.")
                          % {"n": n, "who": assignee.get_username()},
                          messages.SUCCESS)

    def has_acknowledge_permission(self, request):
        return request.user.has_perm("alerts.acknowledge_alert")

    def changelist_view(self, request, extra_context=None):
        extra = {"board": selectors.alert_board_counts(),
                 "can_run": request.user.has_perm("alerts.run_detection")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def get_urls(self):
        site = self.admin_site
        return [
            path("run/", site.admin_view(self.run_view), name="alerts_alert_run"),
            path("fulfillment/<uuid:oid>/", site.admin_view(self.options_view),
                 name="alerts_fulfilment_options"),
            path("fulfillment/<uuid:oid>/choose/", site.admin_view(self.choose_view),
                 name="alerts_fulfilment_choose"),
            *super().get_urls(),
        ]

    @staticmethod
    def _list_url():
        return reverse("admin:alerts_alert_changelist")

    def run_view(self, request):
        """Run every detector now (the scheduler also does every two minutes)."""
        if request.method != "POST":
            return HttpResponseRedirect(self._list_url())
        if not request.user.has_perm("alerts.run_detection"):
            raise DjangoPermissionDenied
        from .services.detection import alerts_detect

        result = alerts_detect().as_json()
        self.message_user(request, _("Detection done: opened %(o)s, resolved %(r)s.")
                          % {"o": result["opened"] or 0, "r": result["resolved"] or 0},
                          messages.SUCCESS)
        return HttpResponseRedirect(self._list_url())

    def options_view(self, request, oid):
        """The panel: every costed option for the order, one button each."""
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        order = get_object_or_404(Order.objects.select_related("customer", "warehouse"), oid=oid)
        options = fulfillment_options(order=order)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("Fulfilment options for %(order)s") % {"order": order},
            "order": order, "result": options, "list_url": self._list_url(),
            "order_url": reverse("admin:orders_order_change", args=[order.pk]),
            "can_choose": request.user.has_perm(CHOOSE_PERM),
            "decisions": FulfilmentDecision.objects.filter(order=order).select_related("chosen_by"),
            "alerts": order.alerts.filter(OPEN_Q),
        }
        return TemplateResponse(request, "admin/alerts/fulfilment_options.html", context)

    def choose_view(self, request, oid):
        return _choose(self, request, oid)


def _choose(model_admin, request, oid):
    back = reverse("admin:alerts_fulfilment_options", args=[oid])
    if request.method != "POST":
        return HttpResponseRedirect(back)
    option_id = request.POST.get("option", "")
    try:
        decision = fulfillment_option_choose(order_oid=oid, option_id=option_id,
                                             actor=request.user, source="admin")
    except DomainError as exc:
        model_admin.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(back)
    model_admin.message_user(request, _("Done: %(option)s (cost ¥%(cost)s).")
                             % {"option": decision.option.get("title", option_id),
                                "cost": decision.extra_cost}, messages.SUCCESS)
    return HttpResponseRedirect(back)


@admin.register(StuckRule)
class StuckRuleAdmin(admin.ModelAdmin):
    list_display = ["status", "max_minutes", "use_promised_ship_by", "severity", "active",
                    "updated_at"]
    list_editable = ["max_minutes", "use_promised_ship_by", "severity", "active"]
    list_filter = ["active", "severity"]


@admin.register(FulfilmentPolicy)
class FulfilmentPolicyAdmin(admin.ModelAdmin):
    list_display = ["level", "offer_proactively", "preorder_coupon",
                    "substitute_discount_percent", "transfer_base_fee", "transfer_fee_per_km",
                    "transfer_km_per_day"]
    list_editable = list_display[1:]


@admin.register(AlertNotificationRule)
class AlertNotificationRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "min_severity", "group", "active"]
    list_filter = ["active", "kind"]


class InboundLineInline(admin.TabularInline):
    model = InboundLine
    extra = 1
    autocomplete_fields = ["sku"]
    readonly_fields = ["promised"]


@admin.register(InboundShipment)
class InboundShipmentAdmin(admin.ModelAdmin):
    list_display = ["reference", "warehouse", "expected_date", "status", "created_at"]
    list_filter = ["status", "warehouse", "expected_date"]
    search_fields = ["reference", "lines__sku__code"]
    inlines = [InboundLineInline]
    actions = ["receive"]

    @admin.action(description=_("Receive selected shipments (stock on hand, preorders allocated)"),
                  permissions=["change"])
    def receive(self, request, queryset):
        for shipment in queryset.order_by("expected_date", "pk"):
            try:
                done = inbound_receive(shipment_id=shipment.pk, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{shipment.reference}: {exc.message}", messages.ERROR)
                continue
            self.message_user(request, _(
                "%(ref)s received: %(units)d unit(s) on hand; %(released)d preorder(s) "
                "released, %(allocated)d allocated.") % {"ref": shipment.reference, **done},
                messages.SUCCESS)


class CompensationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Compensation
    extra = 0
    fields = ["kind", "amount", "customer", "created_at"]
    readonly_fields = fields


@admin.register(FulfilmentDecision)
class FulfilmentDecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "kind", "option_id", "extra_cost", "chosen_by", "chosen_at"]
    list_filter = ["kind"]
    list_select_related = ["order", "chosen_by"]
    search_fields = ["=order__channel_order_id", "=order__oid"]
    inlines = [CompensationInline]


@admin.register(Compensation)
class CompensationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "kind", "amount", "customer", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["order", "customer"]
    search_fields = ["=order__channel_order_id", "=order__oid"]
