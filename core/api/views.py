from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import ValidationFailed


def reject_oversized(request) -> None:
    """Refuse bodies above the configured limit before reading them."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.LIUZHUAN_MAX_BODY_BYTES:
        raise ValidationFailed(
            _("request body of %(length)d bytes is over the %(limit)d-byte limit")
            % {"length": length, "limit": settings.LIUZHUAN_MAX_BODY_BYTES},
            code="body_too_large",
        )
