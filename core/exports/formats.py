"""Export formats whose formula escaping keeps values and types intact.

django-import-export's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` handling removes the
leading ``=`` (the value changes, and ``+ - @`` are not handled) and turns every cell into a
string (``None`` becomes ``"None"`` in XLSX).  These subclasses escape text cells with an
apostrophe instead (see ``core.exports.formula``) and leave numbers and dates as they are.
"""

from __future__ import annotations

from import_export.formats import base_formats

from core.exports.formula import escape_formula


def _escape_dataset(dataset) -> None:
    for _ in range(len(dataset)):
        row = dataset.lpop()
        dataset.append([escape_formula(c) if isinstance(c, str) else c for c in row])


class CSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        _escape_dataset(dataset)  # always, whatever IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT says
        return dataset.export(self.get_title(), **kwargs)


class XLSX(base_formats.XLSX):
    def _escape_formulae(self, dataset):
        pass  # done below, once

    def export_data(self, dataset, **kwargs):
        _escape_dataset(dataset)
        return super().export_data(dataset, **kwargs)


def export_formats() -> list:
    """CSV always; XLSX when openpyxl is installed."""
    return [f for f in (CSV, XLSX) if f.is_available()]


def import_formats() -> list:
    return [f for f in (base_formats.CSV, base_formats.XLSX) if f.is_available()]


FORMATS_BY_KEY = {"csv": CSV, "xlsx": XLSX}
