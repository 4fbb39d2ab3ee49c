"""Formula escaping that round-trips.

A text cell that starts with ``= + - @`` (or a tab / carriage return) would be run as a
formula by Excel, WPS or LibreOffice (CSV injection).  On export such a cell gets a leading
apostrophe — spreadsheets show the apostrophe-prefixed text as plain text — and on import
exactly that apostrophe is removed again, so an export re-imported changes nothing.

Only text columns are escaped: numbers, dates and booleans are rendered by their own
widgets and can never start a formula (amounts are non-negative by constraint).
"""

from __future__ import annotations

from import_export import widgets

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def unescape_formula(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


class TextWidget(widgets.CharWidget):
    """A text column: escaped on export, unescaped on import; identifiers stay strings.

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
        return escape_formula("" if value is None else str(value))
