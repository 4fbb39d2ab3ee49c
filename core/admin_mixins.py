"""Admin building blocks shared by the big tables."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList

from core.paginator import NoCountPaginator


class NoCountChangeList(ChangeList):
    """Fetch one row more than a page instead of counting the table."""

    def get_results(self, request):
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        page = paginator.page(self.page_num)
        rows = page.object_list
        has_next = page.has_next()
        self.paginator_page_has_next = has_next
        # Just enough for the templates: "this page and maybe one more".
        self.result_count = (self.page_num - 1) * self.list_per_page + len(rows) + int(has_next)
        self.show_full_result_count = False
        self.show_admin_actions = True
        # Equal counts make the search bar skip its "N results (Show all)" text: N would be a guess.
        self.full_result_count = self.result_count
        self.result_list = rows
        self.can_show_all = False
        self.multi_page = self.page_num > 1 or has_next
        self.paginator = paginator


class BigTableAdminMixin:
    """No COUNT(*) anywhere: neither for the filtered nor for the full result count.

    Uses ``templates/admin/<app>/<model>/pagination.html`` → previous/next links only.
    """

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are COUNT(*) per filter choice
    paginator = NoCountPaginator
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return NoCountChangeList


class ReadOnlyAdminMixin:
    """Machine-written rows (events, attempts, raw messages) are read-only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
