"""Create and change subscriptions and their contracts (API and admin call these)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import NotFound, ValidationFailed

from ..event_types import EVENT_TYPES
from ..models import Contract, Subscription

CONTRACT_FIELDS = (
    "name", "system", "order_number_length", "order_number_prefix", "order_number_charset",
    "max_requests_per_second", "timeout_seconds", "payload_variant", "max_body_bytes", "notes",
)
MIN_SECRET = 16


def _validate(*, url=None, secret=None, event_types=None) -> None:
    if url is not None and url.startswith("platform:"):
        from orders.choices import Channel

        if url[len("platform:"):] not in Channel.values:
            raise ValidationFailed(_("unknown platform in platform:<channel>"), code="invalid_url")
    elif url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationFailed(_("the URL must be http(s)://host/…"), code="invalid_url",
                                   details={"url": [_("must be an http or https URL")]})
    if secret is not None and len(secret) < MIN_SECRET:
        raise ValidationFailed(_("the secret needs at least %(n)d characters") % {"n": MIN_SECRET},
                               code="secret_too_short",
                               details={"secret": [_("at least %(n)d characters") % {"n": MIN_SECRET}]})
    if event_types is not None:
        unknown = sorted(set(event_types) - set(EVENT_TYPES))
        if unknown:
            raise ValidationFailed(_("unknown event types: %(types)s") % {"types": ", ".join(unknown)},
                                   code="unknown_event_type", details={"event_types": unknown})


def contract_save(*, contract: Contract | None, data: dict, default_name: str) -> Contract:
    """Create or update a contract from a dict (``{"id": n}`` alone links an existing one)."""
    if set(data) == {"id"}:
        try:
            return Contract.objects.get(pk=data["id"])
        except (Contract.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("contract %(id)s not found") % {"id": data["id"]}, code="contract_not_found") from None
    if contract is None:
        contract = Contract(name=data.get("name") or default_name)
    for field in CONTRACT_FIELDS:
        if field in data:
            setattr(contract, field, data[field])
    length = contract.order_number_length
    if length and len(contract.order_number_prefix or "") > length - 6:
        raise ValidationFailed(_("the order number prefix leaves fewer than 6 characters"),
                               code="contract_order_number_unworkable")
    if Contract.objects.filter(name=contract.name).exclude(pk=contract.pk).exists():
        raise ValidationFailed(_("a contract named %(name)r exists") % {"name": contract.name},
                               code="contract_name_taken")
    contract.save()
    return contract


def subscription_create(*, name: str, url: str, secret: str, event_types=(), active: bool = True,
                        contract: dict | Contract | None = None, actor=None) -> Subscription:
    event_types = list(event_types or [])
    _validate(url=url, secret=secret, event_types=event_types)
    with transaction.atomic():
        if isinstance(contract, dict):
            contract = contract_save(contract=None, data=contract, default_name=name)
        return Subscription.objects.create(name=name, url=url, secret=secret,
                                           event_types=event_types, active=active,
                                           contract=contract)


def subscription_update(*, subscription: Subscription, data: dict, actor=None) -> Subscription:
    _validate(url=data.get("url"), secret=data.get("secret"), event_types=data.get("event_types"))
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
        for field in ("name", "url", "secret", "event_types", "active"):
            if field in data:
                setattr(sub, field, list(data[field]) if field == "event_types" else data[field])
        if "contract" in data:
            value = data["contract"]
            sub.contract = (None if value is None else
                            contract_save(contract=sub.contract if set(value) != {"id"} else None,
                                          data=value, default_name=sub.name))
        sub.save()
        return sub


def subscription_delete(*, subscription: Subscription, actor=None) -> None:
    subscription.delete()
