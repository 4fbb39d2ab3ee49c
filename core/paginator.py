"""An admin paginator that never runs ``COUNT(*)`` on big tables.

It fetches one row more than a page to know whether a next page exists and
reports a count that is just large enough for the admin's page links.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property


class NoCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:  # type: ignore[override]
        # The admin asks for the count to draw page links; answer with "what we have seen".
        return 10**9

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        has_next = len(rows) > self.per_page
        page = NoCountPage(rows[: self.per_page], number, self)
        page._has_next = has_next
        return page

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        return max(number, 1)


class NoCountPage(Page):
    _has_next = False

    def has_next(self):
        return self._has_next
