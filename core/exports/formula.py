"""Formula escaping that round-trips.

A text cell that starts with ``= + - @`` (or a tab / carriage return) would be run as a
formula by Excel, WPS or LibreOffice (CSV injection).  On export such a cell gets a leading
apostrophe — spreadsheets show the apostrophe-prefixed text as plain text — and on import
exactly that apostrophe is removed again, so an export re-imported changes nothing.

The export formats escape every text cell of the file (``core.exports.formats``), so a
column cannot be forgotten; ``TextWidget`` undoes it on import.
"""

from __future__ import annotations

from import_export import widgets

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _needs_escape(value: str) -> bool:
    # A value that already starts with apostrophes before a formula character is escaped
    # too, otherwise the import would take its first apostrophe for ours.
    return value.lstrip("'").startswith(FORMULA_START)


def escape_formula(value: str) -> str:
    return "'" + value if _needs_escape(value) else value


def unescape_formula(value: str) -> str:
    if value.startswith("'") and _needs_escape(value):
        return value[1:]
    return value


class TextWidget(widgets.CharWidget):
    """A text column: unescaped on import (the export formats escape every text cell, see
    ``core.exports.formats``); identifiers stay strings.

    ``strict_text``: refuse a cell that arrives as a number (an XLSX cell typed as number
    has already lost leading zeros or turned into 1.23E+18) instead of casting it back.
    """

    def __init__(self, *args, strict_text: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.strict_text = strict_text

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if not isinstance(value, str):
            if self.strict_text:
                raise ValueError("must be a text cell (a number loses leading zeros)")
            value = str(value)
        return unescape_formula(value.strip())

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)
