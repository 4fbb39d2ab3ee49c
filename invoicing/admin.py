"""Finance screens: catalogue, sellers, tax profiles, the request queue, issued invoices.

Every write goes through a service; admin actions are POST (Django admin actions) and
permission-checked.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from core.admin_mixins import BigTableAdminMixin, ReadOnlyAdminMixin
from core.errors import DomainError
from core.exports.formats import export_formats, import_formats
from invoicing.models import (
    Direction,
    GatewayAttempt,
    Invoice,
    InvoiceEvent,
    InvoiceRequest,
    InvoiceStatus,
    RedReason,
    SellerEntity,
    TaxCode,
    TaxProfile,
    TaxProfileVersion,
)
from invoicing.resources import (
    TaxCodeExportResource,
    TaxCodeImportResource,
    TaxProfileExportResource,
    TaxProfileImportResource,
)
from invoicing.services.profiles import tax_profile_create, tax_profile_update
from invoicing.services.red import invoice_red_create, invoice_red_from_proposal
from invoicing.services.requests import invoice_request_recheck, invoice_request_submit
from invoicing.taxid import normalize_tax_id


class PermissionedImportExport:
    import_perm = ""
    export_perm = ""

    def has_import_permission(self, request):
        return request.user.has_perm(self.import_perm)

    def has_export_permission(self, request):
        return request.user.has_perm(self.export_perm)

    def get_import_formats(self):
        return import_formats()

    def get_export_formats(self):
        return export_formats()


@admin.register(TaxCode)
class TaxCodeAdmin(PermissionedImportExport, ImportExportMixin, admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "rate", "exemption", "valid_from", "valid_to"]
    list_filter = ["exemption", "rate"]
    search_fields = ["code", "name", "short_name"]
    import_perm = "invoicing.add_taxcode"
    export_perm = "invoicing.view_taxcode"
    resource_classes = [TaxCodeImportResource]

    def get_import_resource_classes(self, request):
        return [TaxCodeImportResource]

    def get_export_resource_classes(self, request):
        return [TaxCodeExportResource]


@admin.register(SellerEntity)
class SellerEntityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tax_id", "per_invoice_limit", "max_lines_ordinary",
                    "max_lines_special", "is_default", "active"]
    list_filter = ["active", "is_default"]
    search_fields = ["code", "name", "tax_id"]
    autocomplete_fields = ["shipping_tax_code"]


class TaxProfileForm(forms.ModelForm):
    # strip=False: the form must hand the service exactly what was typed (no silent edits).
    tax_id = forms.CharField(label=_("taxpayer id"), required=False, strip=False, max_length=32)

    class Meta:
        model = TaxProfile
        fields = ["customer", "title_type", "name", "tax_id", "address", "phone", "bank",
                  "account", "email", "verified"]

    def clean_tax_id(self):
        return normalize_tax_id(self.cleaned_data.get("tax_id") or "")


class TaxProfileVersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TaxProfileVersion
    fields = ["version", "changed", "data", "actor", "source", "created_at"]
    readonly_fields = fields
    extra = 0


@admin.register(TaxProfile)
class TaxProfileAdmin(PermissionedImportExport, ImportExportMixin, admin.ModelAdmin):
    form = TaxProfileForm
    list_display = ["name", "tax_id", "title_type", "customer", "verified", "version",
                    "updated_at"]
    list_filter = ["title_type", "verified"]
    search_fields = ["name", "=tax_id", "customer__channel_buyer_id", "customer__nick"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [TaxProfileVersionInline]
    actions = ["mark_verified"]
    import_perm = "invoicing.add_taxprofile"
    export_perm = "invoicing.export_taxprofile"  # personal data: ops only

    def get_import_resource_classes(self, request):
        return [TaxProfileImportResource]

    def get_export_resource_classes(self, request):
        return [TaxProfileExportResource]

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "actor": request.user}

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data.get(k) for k in form.Meta.fields if k != "customer"}
        try:
            if change:
                saved = tax_profile_update(profile_id=obj.pk, data=data, actor=request.user,
                                           source="admin",
                                           customer=form.cleaned_data.get("customer"))
            else:
                saved = tax_profile_create(data=data, customer=form.cleaned_data.get("customer"),
                                           actor=request.user, source="admin")
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk, obj.version = saved.pk, saved.version

    @admin.action(description=_("Mark selected profiles verified"),
                  permissions=["change"])
    def mark_verified(self, request, queryset):
        for profile in queryset:
            tax_profile_update(profile_id=profile.pk, data={"verified": True}, actor=request.user,
                               source="admin")
        self.message_user(request, _("%(n)d profiles verified.") % {"n": queryset.count()})


class InvoiceEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InvoiceEvent
    fields = ["occurred_at", "type", "actor", "source", "payload"]
    readonly_fields = fields
    extra = 0


class InvoiceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Invoice
    fk_name = "request"
    fields = ["part", "direction", "status", "number", "amount", "tax", "total", "reject_code"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(InvoiceRequest)
class InvoiceRequestAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ["id", "order_link", "kind", "status", "buyer_name", "invoice_count",
                    "problems", "created_at"]
    list_filter = ["status", "kind", "seller"]
    search_fields = ["=order__channel_order_id", "=order__oid", "buyer__name", "buyer__tax_id"]
    list_select_related = ["order", "seller"]
    raw_id_fields = ["order", "profile"]
    readonly_fields = ["order", "seller", "kind", "profile", "buyer", "remark", "status",
                       "precheck", "plan", "problem_codes", "created_by", "created_at"]
    inlines = [InvoiceInline, InvoiceEventInline]
    actions = ["submit_selected", "recheck_selected"]

    def has_add_permission(self, request):
        return False  # requests are created from the API / order screens through the service

    @admin.display(description=_("order"))
    def order_link(self, obj):
        return obj.order.channel_order_id

    @admin.display(description=_("buyer"))
    def buyer_name(self, obj):
        return f"{obj.buyer.get('name', '')} {obj.buyer.get('tax_id', '')}".strip()

    @admin.display(description=_("invoices"))
    def invoice_count(self, obj):
        return len(obj.plan)

    @admin.display(description=_("problems"))
    def problems(self, obj):
        rows = (obj.precheck or {}).get("problems") or []
        if not rows:
            return "—"
        return format_html("<ul style='margin:0'>{}</ul>", format_html_join(
            "", "<li><code>{}</code> {}</li>", ((p["code"], p["message"]) for p in rows)))

    @admin.action(description=_("Submit selected to the tax gateway"),
                  permissions=["submit"])
    def submit_selected(self, request, queryset):
        ok, failed = 0, []
        for pk in queryset.values_list("pk", flat=True):
            try:
                invoice_request_submit(request_id=pk, actor=request.user, source="admin")
                ok += 1
            except DomainError as exc:
                failed.append(f"#{pk}: {exc.message}")
        self.message_user(request, _("%(n)d requests submitted.") % {"n": ok})
        if failed:
            self.message_user(request, "; ".join(failed), messages.WARNING)

    def has_submit_permission(self, request):
        return request.user.has_perm("invoicing.submit_invoicerequest")

    @admin.action(description=_("Re-run the pre-check (uses the current profile)"),
                  permissions=["change"])
    def recheck_selected(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            try:
                invoice_request_recheck(request_id=pk, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"#{pk}: {exc.message}", messages.WARNING)
        self.message_user(request, _("Pre-check re-run."))


class GatewayAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = GatewayAttempt
    fields = ["created_at", "operation", "http_status", "code", "message", "duration_ms"]
    readonly_fields = fields
    extra = 0



@admin.register(Invoice)
class InvoiceAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ["number", "direction", "status", "part_of", "total", "request_link",
                    "documents", "proposal", "issued_at"]
    list_filter = ["status", "direction", "red_reason", ("red_proposal", admin.EmptyFieldListFilter)]
    search_fields = ["=number", "=gateway_request_id", "=request__order__channel_order_id"]
    list_select_related = ["request__order"]
    readonly_fields = [f.name for f in Invoice._meta.fields]
    inlines = [GatewayAttemptInline]
    actions = ["red_full", "red_from_proposal"]
    action_form = type("InvoiceActionForm", (admin.helpers.ActionForm,),
                       {"reason": forms.ChoiceField(choices=RedReason.choices, required=False,
                                                    label=_("reason"))})

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("part"))
    def part_of(self, obj):
        return f"{obj.part}/{obj.parts}" if obj.direction == Direction.BLUE else "—"

    @admin.display(description=_("request"))
    def request_link(self, obj):
        return f"#{obj.request_id} {obj.request.order.channel_order_id}"

    @admin.display(description=_("PDF / XML"))
    def documents(self, obj):
        if not obj.pdf_url:
            return "—"
        return format_html('<a href="{}" target="_blank">PDF</a> · <a href="{}" '
                           'target="_blank">XML</a>', obj.pdf_url, obj.xml_url)

    @admin.display(description=_("red proposal"))
    def proposal(self, obj):
        if not obj.red_proposal:
            return "—"
        lines = obj.red_proposal.get("lines")
        return format_html("{} ({})", obj.red_proposal.get("reason"),
                           ", ".join(map(str, lines)) if lines else _("full"))

    def has_red_permission(self, request):
        return request.user.has_perm("invoicing.red_invoice")

    @admin.action(description=_("Red-letter: reverse selected invoices in full"),
                  permissions=["red"])
    def red_full(self, request, queryset):
        reason = request.POST.get("reason") or RedReason.WRONG_INVOICE
        done = 0
        for pk in queryset.filter(direction=Direction.BLUE, status=InvoiceStatus.ISSUED) \
                .values_list("pk", flat=True):
            try:
                invoice_red_create(invoice_id=pk, reason=reason, actor=request.user,
                                   source="admin")
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{pk}: {exc.message}", messages.WARNING)
        self.message_user(request, _("%(n)d red-letter invoices queued.") % {"n": done})

    @admin.action(description=_("Red-letter: issue the proposals from refunds"),
                  permissions=["red"])
    def red_from_proposal(self, request, queryset):
        done = 0
        for pk in queryset.exclude(red_proposal=None).values_list("pk", flat=True):
            try:
                invoice_red_from_proposal(invoice_id=pk, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{pk}: {exc.message}", messages.WARNING)
        self.message_user(request, _("%(n)d red-letter invoices queued.") % {"n": done})
