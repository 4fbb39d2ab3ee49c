from __future__ import annotations

from django.conf import settings

from core.errors import ValidationFailed


def reject_oversized(request) -> None:
    """Refuse bodies above the configured limit before reading them."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.LIUZHUAN_MAX_BODY_BYTES:
        raise ValidationFailed(
            f"request body of {length} bytes is over the {settings.LIUZHUAN_MAX_BODY_BYTES}-byte limit",
            code="body_too_large",
        )
