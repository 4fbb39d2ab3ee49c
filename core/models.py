"""Core models live in their feature packages; imported here so Django finds them."""

from core.exports.models import ExportJob, ExportStatus  # noqa: F401
