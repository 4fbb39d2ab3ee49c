"""Batch outbound in the admin: batches (progress, waves, per-order results, buttons),
waves with their PDFs, wave templates, saved filters; the outbound-queue action that
creates a batch from the selected orders lives in ``queues``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin_mixins import BigTableAdminMixin
from core.errors import DomainError
from warehouses import selectors
from warehouses.api.outbound_views import pdf_response
from warehouses.models import BatchOrder, OutboundBatch, OutboundFilter, Wave, WaveTemplate
from warehouses.services.outbound import (
    outbound_batch_create,
    outbound_batch_execute,
    outbound_batch_rollback,
    outbound_handover,
)
from warehouses.services.outbound.documents import wave_picklist_pdf


def progress_html(batch) -> str:
    total = batch.total or 1
    done = round(100 * batch.progress_done / total)
    return format_html(
        '<progress max="100" value="{}" style="width:8em"></progress> {}/{} · {} {}',
        done, batch.progress_done, batch.total, batch.progress_failed, _("failed"))


@admin.register(OutboundBatch)
class OutboundBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "status", "progress", "handover", "carrier", "source",
                    "created_by", "created_at", "finished_at"]
    list_filter = ["status", "handover", "source"]
    search_fields = ["=id", "name"]
    list_select_related = ["created_by"]
    readonly_fields = ["status", "progress", "total", "runs", "source", "filter", "created_by",
                       "created_at", "started_at", "finished_at", "rolled_back_at", "error",
                       "rollback_report"]
    fields = ["name", "carrier", "handover", *readonly_fields]
    change_form_template = "admin/warehouses/outboundbatch/change_form.html"

    def has_add_permission(self, request):
        return False  # created from the outbound queue, a saved filter or the API

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return progress_html(obj)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(require_POST(view))

        return [
            path("<int:batch_id>/execute/", wrap(self.execute_view), name="outbound_execute"),
            path("<int:batch_id>/rollback/", wrap(self.rollback_view), name="outbound_rollback"),
            path("<int:batch_id>/handover/", wrap(self.handover_view), name="outbound_handover"),
            *super().get_urls(),
        ]

    def _run(self, request, batch_id, perm, service, done):
        if not request.user.has_perm(perm):
            raise DjangoPermissionDenied
        try:
            result = service()
            self.message_user(request, done(result), messages.SUCCESS)
        except DomainError as exc:
            self.message_user(request, f"{exc.message} ({exc.code})", messages.ERROR)
        return redirect(reverse("admin:warehouses_outboundbatch_change", args=[batch_id]))

    def execute_view(self, request, batch_id):
        return self._run(request, batch_id, "warehouses.execute_outboundbatch",
                         lambda: outbound_batch_execute(batch_id=batch_id, actor=request.user,
                                                        source="admin"),
                         lambda b: _("Batch #%(id)s is executing in the background.") % {"id": b.pk})

    def rollback_view(self, request, batch_id):
        return self._run(request, batch_id, "warehouses.rollback_outboundbatch",
                         lambda: outbound_batch_rollback(batch_id=batch_id, actor=request.user,
                                                         source="admin"),
                         lambda b: _("Batch #%(id)s is being rolled back.") % {"id": b.pk})

    def handover_view(self, request, batch_id):
        waves = request.POST.getlist("wave") or None
        return self._run(request, batch_id, "warehouses.handover_outboundbatch",
                         lambda: outbound_handover(batch_id=batch_id, wave_ids=waves,
                                                   actor=request.user, source="admin"),
                         lambda n: _("%(n)s order(s) handed over to the carrier (shipped).")
                         % {"n": n})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = get_object_or_404(OutboundBatch, pk=object_id)
        items = selectors.outbound_batch_items(batch=batch)
        step = request.GET.get("result")
        if step:
            items = items.filter(step=step)
        extra = {
            "batch": batch,
            "counts": selectors.outbound_batch_counts(batch=batch),
            "waves": selectors.outbound_batch_waves(batch=batch),
            "items": items[:500],
            "result_filter": step,
            "can_execute": request.user.has_perm("warehouses.execute_outboundbatch"),
            "can_rollback": request.user.has_perm("warehouses.rollback_outboundbatch"),
            "can_handover": request.user.has_perm("warehouses.handover_outboundbatch"),
            "progress_html": progress_html(batch),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["code", "batch", "warehouse", "carrier", "kind", "hot_sku", "status",
                    "orders_count", "lines_count", "units", "weight_g", "documents"]
    list_filter = ["status", "kind", "carrier", "warehouse"]
    search_fields = ["code", "=batch__id"]
    list_select_related = ["batch", "warehouse", "hot_sku"]
    raw_id_fields = ["batch"]
    exclude = ["labels_pdf"]
    readonly_fields = ["batch", "seq", "code", "warehouse", "carrier", "kind", "hot_sku", "status",
                       "orders_count", "lines_count", "units", "weight_g", "labels_pages",
                       "labels_digest", "documents"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("labels_pdf")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("documents"))
    def documents(self, obj):
        picks = reverse("admin:outbound_wave_picklist", args=[obj.pk])
        if not obj.labels_pages:
            return format_html('<a href="{}">{}</a>', picks, _("pick list"))
        labels = reverse("admin:outbound_wave_labels", args=[obj.pk])
        return format_html('<a href="{}">{}</a> · <a href="{}">{} ({})</a>', picks,
                           _("pick list"), labels, _("labels"), obj.labels_pages)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:wave_id>/labels.pdf", view(self.labels_view), name="outbound_wave_labels"),
                path("<int:wave_id>/picklist.pdf", view(self.picklist_view),
                     name="outbound_wave_picklist"),
                *super().get_urls()]

    def labels_view(self, request, wave_id):
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        wave = get_object_or_404(Wave, pk=wave_id)
        return pdf_response(bytes(wave.labels_pdf or b""), f"{wave.code}-labels.pdf")

    def picklist_view(self, request, wave_id):
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        wave = get_object_or_404(Wave.objects.select_related("warehouse"), pk=wave_id)
        return pdf_response(wave_picklist_pdf(wave), f"{wave.code}-picklist.pdf")


@admin.register(BatchOrder)
class BatchOrderAdmin(BigTableAdminMixin, admin.ModelAdmin):
    """Per-order step records: filter ``failed`` to see every failure and its reason."""

    list_display = ["batch", "order", "step", "error_code", "error", "attempts", "updated_at"]
    list_filter = ["step", "error_code"]
    search_fields = ["=batch__id", "=order__channel_order_id"]
    list_select_related = ["batch", "order"]
    raw_id_fields = ["batch", "order"]
    readonly_fields = ["batch", "order", "step", "plan", "entry", "priority_score", "error_code",
                       "error", "attempts", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WaveTemplate)
class WaveTemplateAdmin(admin.ModelAdmin):
    list_display = ["kind", "max_orders", "max_lines", "max_weight_g", "hot_min_orders", "active"]
    list_editable = ["max_orders", "max_lines", "max_weight_g", "hot_min_orders", "active"]


@admin.register(OutboundFilter)
class OutboundFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "params", "updated_at"]
    search_fields = ["name"]
    actions = ["create_batch"]

    @admin.action(description=_("Create an outbound batch from this filter"),
                  permissions=["create_batch"])
    def create_batch(self, request, queryset):
        for saved in queryset:
            try:
                batch = outbound_batch_create(filter={"saved": saved.pk}, actor=request.user,
                                              source="admin", name=saved.name)
            except DomainError as exc:
                self.message_user(request, f"{saved}: {exc.message} ({exc.code})", messages.ERROR)
                continue
            url = reverse("admin:warehouses_outboundbatch_change", args=[batch.pk])
            self.message_user(request, format_html(
                _('Draft batch <a href="{}">#{}</a> with {} orders created.'), url, batch.pk,
                batch.total), messages.SUCCESS)

    def has_create_batch_permission(self, request):
        return request.user.has_perm("warehouses.add_outboundbatch")
