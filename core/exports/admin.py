"""Import/export admin mixins that enforce the project's spreadsheet rules.

* Own permissions, closed by default: ``import_permissions`` (all required) and
  ``export_permission``; an admin that sets none offers no import / export at all.
* Imports are previewed as a dry run with per-row errors; the confirm step is only offered
  when no row has an error, and even a forged confirm writes nothing while any row fails
  (``rollback_on_validation_errors``): all rows or none.
* Exports: CSV (UTF-8 with BOM, so Excel shows Chinese text) and XLSX when openpyxl is
  installed; formula escaping that round-trips; the chosen columns and the changelist's
  current filters and search; more than ``background_export_over`` rows → an ``ExportJob``
  built by a worker and downloaded from its admin page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportMixin

from core.admin_mixins import ReadOnlyAdminMixin
from core.exports.formats import FORMATS_BY_KEY, export_formats, import_formats
from core.exports.models import ExportJob, ExportStatus
from core.exports.services import export_job_create

BACKGROUND_EXPORT_OVER = 5000


class RulesExportMixin(ExportMixin):
    export_permission: str = ""
    background_export_over: int = BACKGROUND_EXPORT_OVER
    to_encoding = "utf-8-sig"

    def has_export_permission(self, request):
        return bool(self.export_permission) and request.user.has_perm(self.export_permission)

    def get_export_formats(self):
        return export_formats()

    def _format_key(self, file_format) -> str:
        for key, cls in FORMATS_BY_KEY.items():
            if isinstance(file_format, cls):
                return key
        raise ValueError(f"unsupported export format {file_format!r}")

    def _is_large(self, queryset) -> bool:
        # A bounded count (LIMIT n+1 inside): never a COUNT(*) over the whole table.
        return queryset[: self.background_export_over + 1].count() > self.background_export_over

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        if not self._is_large(queryset):
            return super()._do_file_export(file_format, request, queryset, export_form)
        if not self.has_export_permission(request):
            raise PermissionDenied
        job = export_job_create(
            actor=request.user, model_label=self.model._meta.label_lower,
            params={k: request.GET.getlist(k) for k in request.GET},
            fields=self.get_export_resource_fields_from_form(export_form) or [],
            resource_index=self.get_resource_index(export_form),
            file_format=self._format_key(file_format),
        )
        self.message_user(
            request,
            _("More than %(n)s rows: the export runs in the background. This page shows when "
              "it is ready to download.") % {"n": self.background_export_over},
            messages.INFO,
        )
        return HttpResponseRedirect(reverse("admin:core_exportjob_change", args=[job.pk]))


class RulesImportExportMixin(RulesExportMixin, ImportExportMixin):
    import_permissions: tuple[str, ...] = ()

    def has_import_permission(self, request):
        return bool(self.import_permissions) and request.user.has_perms(self.import_permissions)

    def get_import_formats(self):
        return import_formats()

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            bad = len(result.invalid_rows) + sum(1 for row in result.rows if row.errors)
            self.message_user(
                request,
                _("Nothing was imported: %(n)s row(s) have errors. Fix them and upload the "
                  "file again.") % {"n": bad or len(result.base_errors)},
                messages.ERROR,
            )
            info = self.model._meta.app_label, self.model._meta.model_name
            return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*info)))
        return super().process_result(result, request)


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The status page of background exports: each user sees their own."""

    list_display = ["id", "model", "file_format", "status", "row_count", "download",
                    "created_at", "finished_at"]
    list_filter = ["status", "model"]
    readonly_fields = ["model", "params", "fields", "file_format", "status", "row_count",
                       "download", "error", "created_by", "created_at", "finished_at"]
    fields = readonly_fields
    list_select_related = ["created_by"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(created_by=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        if job is not None and job.status in (ExportStatus.PENDING, ExportStatus.RUNNING):
            extra_context = {**(extra_context or {}), "refresh_seconds": 3}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("file"))
    def download(self, obj):
        if obj.status != ExportStatus.DONE or not obj.file:
            return "–"
        url = reverse("admin:core_exportjob_download", args=[obj.pk])
        return format_html('<a href="{}" class="export-download">{}</a>', url, _("Download"))

    def get_urls(self):
        return [
            path("<int:job_id>/download/", self.admin_site.admin_view(self.download_view),
                 name="core_exportjob_download"),
            *super().get_urls(),
        ]

    def download_view(self, request, job_id):
        job = self.get_queryset(request).filter(pk=job_id).first()
        if job is None or job.status != ExportStatus.DONE or not job.file:
            raise Http404
        model_admin = next((ma for m, ma in self.admin_site._registry.items()
                            if m._meta.label_lower == job.model), None)
        # The right to the data is checked again at download time, not only when asked.
        if model_admin is None or not model_admin.has_export_permission(request):
            raise PermissionDenied
        return FileResponse(job.file.open("rb"), as_attachment=True,
                            filename=job.file.name.rsplit("/", 1)[-1])
