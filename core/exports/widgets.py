"""Strict import widgets: a cell that cannot be read is a row error with a reason, never a
silent default (the library's BooleanWidget reads "yes" as False, ManyToManyWidget drops
unknown codes, number widgets format by locale)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from import_export import widgets


class StrictBooleanWidget(widgets.BooleanWidget):
    TRUE = {"1", "true", "yes", "y", "是"}
    FALSE = {"0", "false", "no", "n", "否", ""}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"{value!r} is not a yes/no value (use 1 or 0)")


class NonNegativeIntegerWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if text == "":
            return 0
        if not text.isdigit():
            raise ValueError(f"{value!r} is not a whole number ≥ 0")
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class MoneyWidget(widgets.DecimalWidget):
    """Yuan with two decimals, no locale formatting: ``1234.50``."""

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if text == "":
            return None
        try:
            return Decimal(text).quantize(Decimal("0.01"))
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not an amount") from exc

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else f"{Decimal(value):.2f}"


class CoordinateWidget(widgets.DecimalWidget):
    """A latitude/longitude: plain decimal text (no locale), empty = unknown."""

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if text == "":
            return None
        try:
            return Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not a number") from exc

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class IsoDateTimeWidget(widgets.DateTimeWidget):
    """ISO 8601 in Asia/Shanghai with its offset (``2026-11-11T10:00:00+08:00``)."""

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        parsed = parse_datetime(text)
        if parsed is None:
            raise ValueError(f"{value!r} is not an ISO 8601 date-time")
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else timezone.localtime(value).isoformat()


class StrictManyToManyWidget(widgets.ManyToManyWidget):
    """Codes separated by ``|``; every code must exist."""

    def __init__(self, model, field="pk", separator="|", **kwargs):
        super().__init__(model, separator=separator, field=field, **kwargs)

    def clean(self, value, row=None, **kwargs):
        if not value:
            return self.model.objects.none()
        wanted = [v.strip() for v in str(value).split(self.separator) if v.strip()]
        found = self.model.objects.filter(**{f"{self.field}__in": wanted})
        missing = sorted(set(wanted) - {getattr(o, self.field) for o in found})
        if missing:
            raise ValueError(f"unknown {self.field}: {', '.join(missing)}")
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.separator.join(sorted(getattr(o, self.field) for o in value.all()))


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key by its natural key (a text cell); unknown keys are row errors."""

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise ValueError(f"{self.field} must be a text cell (a number loses leading zeros)")
        key = value.strip()
        try:
            return self.get_queryset(value, row, **kwargs).get(**{self.field: key})
        except self.model.DoesNotExist as exc:
            raise ValueError(f"unknown {self.model._meta.verbose_name} {key}") from exc
