"""Background exports: one row per requested file, the file itself in MEDIA_ROOT."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ExportJob(models.Model):
    """A changelist export too big to build inside a request.

    ``params`` is the changelist query string (filters, search) at the time of the request
    and ``fields`` the chosen columns: the worker rebuilds exactly the rows the staff member
    was looking at through the same admin filter code.
    """

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                   on_delete=models.CASCADE, related_name="+")
    model = models.CharField(_("model"), max_length=100, help_text="app_label.model_name")
    params = models.JSONField(_("filters"), default=dict, blank=True)
    fields = models.JSONField(_("columns"), default=list, blank=True)
    resource_index = models.PositiveSmallIntegerField(default=0)
    file_format = models.CharField(_("format"), max_length=8)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices,
                              default=ExportStatus.PENDING)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        app_label = "core"
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("export_order", _("Can export orders (receiver personal data)")),
        ]

    def __str__(self) -> str:
        return f"{self.model} #{self.pk} ({self.status})"
