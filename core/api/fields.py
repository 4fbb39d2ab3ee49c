"""Strict API fields: money as decimal strings, identifiers as strings."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MONEY_RE = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")


@extend_schema_field(OpenApiTypes.STR)
class MoneyField(serializers.Field):
    """Yuan with at most two decimals, sent as a string (``"199.00"``); integers accepted.

    Floats are refused: a binary float cannot carry a cent amount exactly.
    """

    default_error_messages = {
        "invalid": "Money must be a decimal string with at most two places, e.g. \"199.00\".",
        "negative": "Money cannot be negative.",
    }

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("invalid")
        text = str(data).strip()
        if not MONEY_RE.match(text):
            self.fail("invalid")
        try:
            value = Decimal(text).quantize(Decimal("0.01"))
        except InvalidOperation:
            self.fail("invalid")
        if value < 0 and not self.allow_negative:
            self.fail("negative")
        return value

    def to_representation(self, value):
        return f"{Decimal(value).quantize(Decimal('0.01'))}"


class StrictCharField(serializers.CharField):
    """A string that must arrive as a JSON string: numbers are refused, never cast."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"not_an_integer": "Must be a JSON integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_an_integer")
        return super().to_internal_value(data)
