"""Background exports: create the job (enqueue on commit), then build the file in a worker."""

from __future__ import annotations

import logging

from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFound, PermissionDenied
from core.exports.formats import FORMATS_BY_KEY
from core.exports.models import ExportJob, ExportStatus
from core.tasks_util import enqueue_on_commit

logger = logging.getLogger(__name__)


def export_job_create(*, actor, model_label: str, params: dict, fields: list[str],
                      resource_index: int, file_format: str) -> ExportJob:
    from core.exports.tasks import export_job_run_task

    with transaction.atomic():
        job = ExportJob.objects.create(created_by=actor, model=model_label, params=params,
                                       fields=list(fields or []), resource_index=resource_index,
                                       file_format=file_format)
        enqueue_on_commit(export_job_run_task, job.pk)
    return job


def _model_admin(model_label: str):
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower == model_label:
            return model_admin
    raise NotFound(_("no admin for %(model)s") % {"model": model_label}, code="unknown_model")


def _changelist_request(job: ExportJob):
    """A GET request carrying the changelist query string the staff member exported from.

    Rebuilding the rows through the admin's own ChangeList (filters, search, ordering)
    guarantees the file holds exactly what was on screen, with no second filter parser.
    """
    query = QueryDict(mutable=True)
    for key, values in (job.params or {}).items():
        query.setlist(key, values if isinstance(values, list) else [values])
    request = RequestFactory().get("/", data=query)
    request.user = job.created_by
    return request


def export_job_run(*, job_id: int) -> ExportJob:
    """Build the file of one pending job.  Runs once: a job already claimed is left alone."""
    with transaction.atomic():
        job = (ExportJob.objects.select_for_update(skip_locked=True)
               .filter(pk=job_id, status=ExportStatus.PENDING).first())
        if job is None:
            return ExportJob.objects.get(pk=job_id)
        job.status = ExportStatus.RUNNING
        job.save(update_fields=["status"])
    try:
        content, rows = _build(job)
    except Exception as exc:  # recorded on the job: the staff member sees why
        logger.exception("export %s failed", job.pk)
        job.status, job.error = ExportStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M%S")
    name = f"{job.model.replace('.', '-')}-{stamp}-{job.pk}.{job.file_format}"
    job.file.save(name, ContentFile(content), save=False)
    job.status, job.row_count, job.finished_at = ExportStatus.DONE, rows, timezone.now()
    job.save(update_fields=["file", "status", "row_count", "finished_at"])
    return job


def _build(job: ExportJob) -> tuple[bytes, int]:
    model_admin = _model_admin(job.model)
    request = _changelist_request(job)
    if not model_admin.has_export_permission(request):
        raise PermissionDenied(_("export permission withdrawn"), code="export_not_allowed")
    queryset = model_admin.get_export_queryset(request)
    resource_cls = model_admin.get_export_resource_classes(request)[job.resource_index]
    resource = resource_cls(**model_admin.get_export_resource_kwargs(request))
    dataset = resource.export(queryset=queryset, export_fields=job.fields or None)
    file_format = FORMATS_BY_KEY[job.file_format]()
    content = file_format.export_data(dataset)
    if isinstance(content, str):
        content = content.encode(model_admin.to_encoding or "utf-8")
    return content, len(dataset)
