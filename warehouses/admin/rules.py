from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from warehouses.models import ApprovalRule, PriceFloor, RoutingRule, ScoringPolicy
from warehouses.services.scoring import (
    WEIGHT_FIELDS,
    scoring_policy_activate,
    scoring_policy_publish,
)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "params", "priority", "active", "updated_at"]
    list_editable = ["priority", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    ordering = ["priority", "id"]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "threshold", "outcome", "priority", "active"]
    list_editable = ["priority", "active"]
    list_filter = ["condition", "outcome", "active"]
    search_fields = ["name"]
    ordering = ["priority", "id"]


@admin.register(PriceFloor)
class PriceFloorAdmin(admin.ModelAdmin):
    list_display = ["sku", "min_unit_price"]
    search_fields = ["sku__code", "sku__name"]
    raw_id_fields = ["sku"]
    list_select_related = ["sku"]


@admin.register(ScoringPolicy)
class ScoringPolicyAdmin(admin.ModelAdmin):
    """Versions are immutable: "Add" publishes a new active version (prefilled with the
    active one) and rescoring runs in the background; an action re-activates an old one."""

    list_display = ["version", "active", "note", "weights", "created_by", "created_at"]
    list_filter = ["active"]
    fields = ["note", *WEIGHT_FIELDS]
    actions = ["activate"]

    @admin.display(description=_("weights"))
    def weights(self, obj):
        return format_html_join(", ", "{} {}", ((name, getattr(obj, name)) for name in WEIGHT_FIELDS))

    def get_changeform_initial_data(self, request):
        active = ScoringPolicy.objects.filter(active=True).first()
        if active is None:
            return super().get_changeform_initial_data(request)
        return {name: getattr(active, name) for name in WEIGHT_FIELDS}

    def get_readonly_fields(self, request, obj=None):
        return [*self.fields, "version", "active"] if obj else []

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in WEIGHT_FIELDS}
        policy = scoring_policy_publish(values=values, actor=request.user,
                                        note=form.cleaned_data.get("note", ""))
        obj.pk, obj.version, obj.active = policy.pk, policy.version, True
        self.message_user(request, _("Version %(v)s is active; orders are being rescored.")
                          % {"v": policy.version}, messages.SUCCESS)

    def log_addition(self, request, obj, message):
        return None if obj.pk is None else super().log_addition(request, obj, message)

    @admin.action(description=_("Activate the selected version (rescore)"),
                  permissions=["activate"])
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.ERROR)
            return
        policy = scoring_policy_activate(policy=queryset.get(), actor=request.user)
        self.message_user(request, format_html(_("Version {} is active; orders are being rescored."),
                                               policy.version), messages.SUCCESS)

    def has_activate_permission(self, request):
        return request.user.has_perm("warehouses.activate_scoringpolicy")
