"""Admin site wiring: the dashboard on the index page."""

from django.contrib import admin

import core.exports.admin  # noqa: F401  (registers the export jobs admin)
from core.dashboard import dashboard_tiles

_original_index = admin.site.index


def index(request, extra_context=None):
    extra_context = {**(extra_context or {}), "dashboard": dashboard_tiles()}
    return _original_index(request, extra_context)


admin.site.index = index

try:  # django_dramatiq's task log is unused (no AdminMiddleware); keep it out of the menu
    from django_dramatiq.models import Task

    admin.site.unregister(Task)
except (ImportError, admin.sites.NotRegistered):
    pass
admin.site.site_header = "流转 Liuzhuan"
admin.site.site_title = "Liuzhuan"
admin.site.index_title = ""
