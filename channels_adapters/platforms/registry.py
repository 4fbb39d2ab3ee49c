"""The platform registry: one module per sales platform registers itself here.

Adding Kuaishou or WeChat Channels later is one module with a ``Platform``
subclass decorated with ``@register`` and an import line in ``platforms/__init__``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _

from core.errors import NotFound
from orders.canonical import CanonicalOrder

from . import base


class GatewayError(Exception):
    """The platform gateway could not be reached or answered with an error (retryable)."""


class Platform:
    """What every platform adapter offers.  Adapters are pure: they never write models."""

    name: ClassVar[str]  # URL segment and ``InboundMessage.platform``
    channel: ClassVar[str]  # ``orders.choices.Channel`` value of its shops
    # Keys of the response envelopes around the order-detail document, outermost first.
    envelope_keys: ClassVar[tuple[str, ...]] = ()

    # ---- documents
    def unwrap(self, document: Any) -> dict:
        """The order object inside a document with or without its response envelope."""
        raise NotImplementedError

    def to_canonical(self, order: dict, *, shop_code: str) -> CanonicalOrder:
        raise NotImplementedError

    def parse_document(self, raw: bytes | str | dict, *, shop_code: str) -> CanonicalOrder:
        document = base.loads(raw) if isinstance(raw, (bytes, str)) else raw
        if not isinstance(document, dict):
            raise base.DocumentError(_("the document must be a JSON object"), code="invalid_document")
        error = document.get("error_response")
        if isinstance(error, dict):
            raise base.DocumentError(
                _("the document is a platform error response, not an order"),
                code="platform_error_document",
                details={"error_response": base.redact(error)},
            )
        return self.to_canonical(self.unwrap(document), shop_code=shop_code)

    # ---- signatures
    def sign_request(self, params: dict[str, str], *, secret: str, sign_method: str = "md5") -> str:
        """Signature of an API call with these (string) parameters."""
        raise NotImplementedError

    def verify_push(self, *, body: bytes, headers: dict[str, str], app_key: str, secret: str) -> bool:
        """Whether a pushed message really comes from the platform (HTTP push platforms)."""
        raise NotImplementedError(f"{self.name} has no HTTP push")

    # ---- gateway (API clients; every call raises ``GatewayError`` or a subclass)
    # ``pull_rules``: the platform's incremental-list contract (``http.PullRules``).
    pull_rules: ClassVar[Any] = None

    def fetch_order_detail(self, *, shop, channel_order_id: str) -> bytes:
        """Raw order-detail document from the shop's gateway; raises ``GatewayError``."""
        raise NotImplementedError(f"{self.name}: no detail fetch")

    def list_changed(self, *, shop, start, end, page: int, page_size: int):
        """One page (``http.Page``) of the orders modified in [start, end]."""
        raise NotImplementedError(f"{self.name}: no incremental list")

    def ship(self, shop, *, channel_order_id: str, carrier: str, tracking_no: str) -> None:
        """Tell the platform the order has shipped (``AlreadyShipped`` if it knew)."""
        raise NotImplementedError(f"{self.name}: no shipment write-back")

    def gateway_url(self, shop, path: str) -> str:
        if not shop.api_base_url:
            raise GatewayError(f"shop {shop.code} has no api_base_url")
        return f"{shop.api_base_url.rstrip('/')}/{path.lstrip('/')}"


_registry: dict[str, Platform] = {}


def register(cls: type[Platform]) -> type[Platform]:
    _registry[cls.name] = cls()
    return cls


def get_platform(name: str) -> Platform:
    try:
        return _registry[name]
    except KeyError:
        raise NotFound(_("unknown platform %(name)r") % {"name": name}, code="unknown_platform") from None


def platforms() -> dict[str, Platform]:
    return dict(_registry)
