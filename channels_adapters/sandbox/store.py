"""The sandbox gateways' order documents (kept as JSON text so big ids stay exact)."""

from __future__ import annotations

from channels_adapters.models import SandboxDocument
from orders.models import Shop


def sandbox_document_put(*, platform: str, app_key: str, order_id: str, body: str) -> SandboxDocument:
    doc, _ = SandboxDocument.objects.update_or_create(
        platform=platform, app_key=app_key, order_id=order_id, defaults={"body": body}
    )
    return doc


def sandbox_document_get(*, platform: str, app_key: str, order_id: str) -> str | None:
    return (
        SandboxDocument.objects.filter(platform=platform, app_key=app_key, order_id=order_id)
        .values_list("body", flat=True)
        .first()
    )


def sandbox_app(*, channel: str, app_key: str) -> Shop | None:
    """The sandbox knows the apps of the shops configured for this channel."""
    return Shop.objects.filter(channel=channel, app_key=app_key).exclude(app_key="").first()
