"""Taxpayer ids: strings end to end.

Normalisation is upper-casing and removing surrounding whitespace — nothing
else.  A leading zero is data; no id is ever cast to a number.  Validity:
18 characters → a USCC per GB 32100 (check character) or a resident identity
number; 15 or 20 characters → the legacy format ``[0-9A-Z]``.
"""

from __future__ import annotations

import re

from stdnum.cn import ric, uscc

_PLAIN18 = re.compile(r"^[0-9A-Z]{18}$")
_LEGACY = re.compile(r"^(?:[0-9A-Z]{15}|[0-9A-Z]{20})$")


def normalize_tax_id(value: str | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError("taxpayer ids are strings")
    return value.strip().upper()


def tax_id_kind(value: str) -> str | None:
    """'uscc', 'ric' or 'legacy' for a valid normalised id, else None.

    stdnum's ``compact`` silently drops inner spaces and dashes; we refuse them
    first so that what we validate is exactly what we send.
    """
    if len(value) == 18 and _PLAIN18.match(value):
        if uscc.is_valid(value):
            return "uscc"
        if ric.is_valid(value):
            return "ric"
        return None
    if _LEGACY.match(value):
        return "legacy"
    return None


def is_valid_tax_id(value: str) -> bool:
    return tax_id_kind(value) is not None
