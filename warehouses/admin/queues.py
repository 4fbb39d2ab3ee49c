"""Order queues owned by the warehouse team, as admins of ``Order`` proxy models.

Every action calls one service per order (each in its own transaction) and reports
what happened; failures of one order never undo the others.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_mixins import BigTableAdminMixin
from core.errors import DomainError
from orders.choices import HoldReason
from warehouses import selectors
from warehouses.models import OutboundOrder, ReviewOrder, RoutedOrder, Warehouse
from warehouses.services.allocation import order_allocate, order_reroute, order_unallocate
from warehouses.services.approval import order_review_approve, order_review_reject


def _run_each(modeladmin, request, queryset, service, done_msg):
    ok, failed = 0, []
    for order in queryset:
        try:
            service(order)
            ok += 1
        except DomainError as exc:
            failed.append(f"{order}: {exc.message} ({exc.code})")
    if ok:
        modeladmin.message_user(request, done_msg % {"n": ok}, messages.SUCCESS)
    for line in failed[:20]:
        modeladmin.message_user(request, line, messages.ERROR)
    if len(failed) > 20:
        modeladmin.message_user(request, _("… and %(n)s more failures") % {"n": len(failed) - 20},
                                messages.ERROR)


def breakdown_html(order):
    items = order.priority_breakdown or []
    if not items:
        return "–"
    return format_html_join(", ", "{}", ((item.get("label", ""),) for item in items))


class _OrderQueueAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_select_related = ["shop", "warehouse", "customer"]
    search_fields = ["=channel_order_id"]
    readonly_fields = ["oid", "channel", "shop", "channel_order_id", "status", "hold_reason",
                       "paid_amount", "priority_score", "breakdown", "warehouse",
                       "routing_explanation", "promised_ship_by", "paid_at"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("OID"))
    def oid_short(self, obj):
        return str(obj.oid)[:8]

    @admin.display(description=_("priority breakdown"))
    def breakdown(self, obj):
        return breakdown_html(obj)

    @admin.display(description=_("routing"))
    def routing_explanation(self, obj):
        return routing_html(obj.routing)


def routing_html(routing: dict):
    if not routing:
        return _("Not routed yet.")
    rule = routing.get("rule") or {}
    packages = format_html_join(
        "", "<li>{}: {} {}</li>",
        ((p["warehouse"], _("lines"), ", ".join(str(n) for n in p["lines"]))
         for p in routing.get("packages", [])))
    candidates = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((c["warehouse"], c["score"], "✔" if c["can_fill_all"] else "✘",
          ", ".join(str(n) for n in c["fillable_lines"]),
          "–" if c["distance_km"] is None else c["distance_km"], c["capacity_left"],
          c.get("excluded_by") or "") for c in routing.get("candidates", [])))
    steps = format_html_join("", "<li>{} ({}): {}</li>",
                             ((s["rule"], s["kind"], s.get("result", "")) for s in routing.get("steps", [])))
    return format_html(
        "<p><strong>{}</strong> {} ({}){}</p><ul>{}</ul>"
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>km</th><th>{}</th>"
        "<th>{}</th></tr></thead><tbody>{}</tbody></table><ol>{}</ol>",
        _("Decided by:"), rule.get("name"), rule.get("kind"),
        format_html(" — {}", rule["actor"]) if rule.get("actor") else "",
        packages, _("warehouse"), _("score"), _("ships all"), _("lines it can ship"),
        _("capacity left"), _("excluded by"), candidates, steps,
    )


@admin.register(OutboundOrder)
class OutboundOrderAdmin(_OrderQueueAdmin):
    """Approved and allocated orders, highest priority score first."""

    list_display = ["oid_short", "channel_order_id", "status", "priority_score", "breakdown",
                    "warehouse", "promised_ship_by", "paid_amount"]
    list_filter = ["status", "warehouse", "channel", "presale"]
    actions = ["create_outbound_batch", "allocate", "unallocate"]

    def get_queryset(self, request):
        return selectors.outbound_queue()

    @admin.action(description=_("Create outbound batch (draft with plan)"),
                  permissions=["create_batch"])
    def create_outbound_batch(self, request, queryset):
        from django.urls import reverse

        from warehouses.services.outbound import outbound_batch_create

        try:
            batch = outbound_batch_create(oids=[str(o) for o in queryset.values_list("oid", flat=True)],
                                          actor=request.user, source="admin")
        except DomainError as exc:
            self.message_user(request, f"{exc.message} ({exc.code})", messages.ERROR)
            return None
        self.message_user(request, format_html(
            _('Draft outbound batch <a href="{}">#{}</a> with {} orders created; review the plan '
              'and execute it.'), reverse("admin:warehouses_outboundbatch_change", args=[batch.pk]),
            batch.pk, batch.total), messages.SUCCESS)
        return None

    def has_create_batch_permission(self, request):
        return request.user.has_perm("warehouses.add_outboundbatch")

    def get_ordering(self, request):
        return ["-priority_score", "paid_at", "id"]

    @admin.action(description=_("Allocate (route and reserve stock)"), permissions=["allocate"])
    def allocate(self, request, queryset):
        _run_each(self, request, queryset,
                  lambda o: order_allocate(order_oid=o.oid, actor=request.user, source="admin"),
                  _("%(n)s order(s) allocated."))

    @admin.action(description=_("Unallocate (release stock)"), permissions=["allocate"])
    def unallocate(self, request, queryset):
        _run_each(self, request, queryset,
                  lambda o: order_unallocate(order_oid=o.oid, actor=request.user, source="admin"),
                  _("%(n)s order(s) unallocated."))

    def has_allocate_permission(self, request):
        return request.user.has_perm("orders.allocate_order")


class LevelFilter(admin.SimpleListFilter):
    title = _("review level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [(HoldReason.REVIEW, _("Review")), (HoldReason.SECOND_REVIEW, _("Second-level review"))]

    def queryset(self, request, queryset):
        return queryset.filter(hold_reason=self.value()) if self.value() else queryset


@admin.register(ReviewOrder)
class ReviewOrderAdmin(_OrderQueueAdmin):
    """Held orders per review level; approve (four eyes on second level) or reject."""

    list_display = ["oid_short", "channel_order_id", "hold_reason", "approval_reason",
                    "paid_amount", "priority_score", "paid_at"]
    list_filter = [LevelFilter, "channel", "cross_border", "presale"]
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return selectors.review_queue()

    @admin.display(description=_("why"))
    def approval_reason(self, obj):
        return obj.hold_reason  # the rule is on the order.on_hold timeline event

    @admin.action(description=_("Approve (second level: needs two different people)"),
                  permissions=["approve"])
    def approve(self, request, queryset):
        _run_each(self, request, queryset,
                  lambda o: order_review_approve(oid=o.oid, actor=request.user, source="admin"),
                  _("%(n)s approval(s) recorded."))

    @admin.action(description=_("Reject (cancel the order)"), permissions=["reject"])
    def reject(self, request, queryset):
        _run_each(self, request, queryset,
                  lambda o: order_review_reject(oid=o.oid, actor=request.user, source="admin"),
                  _("%(n)s order(s) rejected."))

    def has_approve_permission(self, request):
        return request.user.has_perm("orders.approve_order")

    def has_reject_permission(self, request):
        return request.user.has_perm("orders.cancel_order")


class RerouteForm(forms.ModelForm):
    override_warehouse = forms.ModelChoiceField(
        label=_("ship from"), required=False, queryset=Warehouse.objects.filter(active=True),
        to_field_name="code", help_text=_("Staff override: allocates (again) from this warehouse."))

    class Meta:
        model = RoutedOrder
        fields = []


@admin.register(RoutedOrder)
class RoutedOrderAdmin(_OrderQueueAdmin):
    """The routing explanation of an order, and the manual warehouse override."""

    form = RerouteForm
    list_display = ["oid_short", "channel_order_id", "status", "warehouse", "decided_by",
                    "receiver_province", "receiver_city"]
    list_filter = ["status", "warehouse"]
    fields = ["override_warehouse", *_OrderQueueAdmin.readonly_fields]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status__in=("approved", "allocated"))

    @admin.display(description=_("decided by"))
    def decided_by(self, obj):
        return (obj.routing or {}).get("rule", {}).get("name", "–")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("orders.allocate_order") and super().has_change_permission(
            request, obj)

    def save_model(self, request, obj, form, change):
        target = form.cleaned_data.get("override_warehouse")
        if target is None:
            return
        try:
            order_reroute(order_oid=obj.oid, warehouse_code=target.code, actor=request.user)
        except DomainError as exc:
            self.message_user(request, f"{exc.message} ({exc.code})", messages.ERROR)
        else:
            self.message_user(request, _("Order now ships from %(w)s.") % {"w": target.code},
                              messages.SUCCESS)
