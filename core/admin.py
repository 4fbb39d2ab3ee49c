"""Admin site wiring: the dashboard on the index page."""

from django.contrib import admin

from core.dashboard import dashboard_tiles

_original_index = admin.site.index


def index(request, extra_context=None):
    extra_context = {**(extra_context or {}), "dashboard": dashboard_tiles()}
    return _original_index(request, extra_context)


admin.site.index = index
admin.site.site_header = "流转 Liuzhuan"
admin.site.site_title = "Liuzhuan"
admin.site.index_title = ""
