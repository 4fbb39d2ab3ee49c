"""Tax profiles: create, edit with history, link to orders automatically."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound, ValidationFailed
from invoicing.models import OrderTaxProfile, TaxProfile, TaxProfileVersion, TitleType
from invoicing.taxid import normalize_tax_id

logger = logging.getLogger(__name__)

FIELDS = ("title_type", "name", "tax_id", "address", "phone", "bank", "account", "email",
          "verified")
TEXT_FIELDS = FIELDS[:-1]


def _clean(data: dict) -> dict:
    out = {}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "verified":
            out[name] = bool(value)
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationFailed(_("%(field)s must be a string") % {"field": name}, code="invalid",
                                   details={name: [_("Must be a string.")]})
        out[name] = normalize_tax_id(value) if name == "tax_id" else value
    if "title_type" in out and out["title_type"] not in TitleType.values:
        raise ValidationFailed(_("title_type must be personal or enterprise"), code="invalid",
                               details={"title_type": [_("Must be personal or enterprise.")]})
    return out


def _snapshot(profile: TaxProfile) -> dict:
    data = model_to_dict(profile, fields=[*FIELDS, "customer"])
    return data


def tax_profile_create(*, data: dict, customer=None, actor=None, source: str = "api") -> TaxProfile:
    fields = _clean(data)
    if not fields.get("name") or not fields.get("title_type"):
        raise ValidationFailed(_("a profile needs a title type and a name"), code="invalid")
    try:
        with transaction.atomic():
            return TaxProfile.objects.create(customer=customer, **fields)
    except IntegrityError:
        raise Conflict(_("this customer already has a profile with that name and taxpayer id"),
                       code="duplicate_profile") from None


def tax_profile_update(*, profile_id: int, data: dict, actor=None, source: str = "api",
                       customer=..., ) -> TaxProfile:
    """Apply changes; the previous version is kept in ``TaxProfileVersion``."""
    fields = _clean(data)
    with transaction.atomic():
        try:
            profile = TaxProfile.objects.select_for_update().get(pk=profile_id)
        except TaxProfile.DoesNotExist:
            raise NotFound(_("no such tax profile"), code="profile_not_found") from None
        changed = [k for k, v in fields.items() if getattr(profile, k) != v]
        if customer is not ... and customer != profile.customer:
            changed.append("customer")
        if not changed:
            return profile
        TaxProfileVersion.objects.create(
            profile=profile, version=profile.version, data=_snapshot(profile), changed=changed,
            actor=actor if getattr(actor, "is_authenticated", False) else None, source=source,
        )
        for k, v in fields.items():
            setattr(profile, k, v)
        if customer is not ...:
            profile.customer = customer
        if "verified" not in fields and set(changed) & {"name", "tax_id", "title_type"}:
            profile.verified = False  # an identity change needs a new verification
        profile.version += 1
        try:
            with transaction.atomic():
                profile.save()
        except IntegrityError:
            raise Conflict(_("this customer already has a profile with that name and taxpayer id"),
                           code="duplicate_profile") from None
        return profile


# ---------------------------------------------------------------- channel invoice fields

_NAME_KEYS = ("invoice_name", "invoiceTitle", "invoice_title", "title", "buyer_name", "name",
              "payer_name")
_TAX_KEYS = ("invoiceCode", "tax_id", "taxpayer_id", "buyer_tax_no", "payer_register_no",
             "invoice_tax_no", "taxNo", "tax_no")
_TYPE_KEYS = ("title_type", "invoice_kind", "invoiceType", "invoice_type", "title_kind")
_PERSONAL = {"personal", "个人", "person", "0"}
_ENTERPRISE = {"enterprise", "company", "企业", "单位", "公司", "1"}


def _first(data: dict, keys) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value  # strings only: a JSON number has already lost its leading zeros
    return ""


def buyer_from_channel(invoice_request: dict | None) -> dict | None:
    """Map a channel's invoice request (Taobao / JD / PDD / Douyin keys) to buyer fields."""
    if not isinstance(invoice_request, dict):
        return None
    data = invoice_request
    for nested in ("invoiceInfo", "invoiceEasyInfo", "invoice"):
        if isinstance(data.get(nested), dict):
            data = {**data, **data[nested]}
    name = _first(data, _NAME_KEYS)
    if not name:
        return None
    tax_id = normalize_tax_id(_first(data, _TAX_KEYS))
    kind = _first(data, _TYPE_KEYS).strip().lower()
    title = TitleType.ENTERPRISE if (kind in _ENTERPRISE or (tax_id and kind not in _PERSONAL)) \
        else TitleType.PERSONAL
    return {"title_type": title, "name": name, "tax_id": tax_id,
            "address": _first(data, ("address", "buyer_address", "invoiceAddress")),
            "phone": _first(data, ("phone", "buyer_phone", "invoicePhone")),
            "bank": _first(data, ("bank", "buyer_bank", "invoiceBank")),
            "account": _first(data, ("account", "bank_account", "invoiceAccount")),
            "email": _first(data, ("email", "invoiceEmail", "receiver_email"))}


def tax_profile_for_order(*, order, actor=None) -> TaxProfile | None:
    """The profile an order invoices to: linked already, the customer's, or from channel fields."""
    link = OrderTaxProfile.objects.filter(order=order).select_related("profile").first()
    if link:
        return link.profile
    with transaction.atomic():
        return _tax_profile_link(order=order)


def _tax_profile_link(*, order) -> TaxProfile | None:
    """Find or create the profile for an order that has no link yet, and link it."""
    profile, source = None, ""
    buyer = buyer_from_channel(order.invoice_request)
    if buyer:
        profile = (TaxProfile.objects.filter(customer_id=order.customer_id,
                                             name=buyer["name"], tax_id=buyer["tax_id"])
                   .first())
        if profile is None:
            profile = TaxProfile.objects.create(customer=order.customer, **buyer)
        source = "channel"
    elif order.customer_id:
        profile = (TaxProfile.objects.filter(customer_id=order.customer_id)
                   .order_by("-verified", "-updated_at", "-id").first())
        source = "customer"
    if profile is None:
        return None
    OrderTaxProfile.objects.get_or_create(order=order,
                                          defaults={"profile": profile, "source": source})
    return profile


def link_on_order_created(order, event) -> None:
    """``orders.hooks.on_event_recorded`` handler: link a profile when an order first arrives.

    Runs inside the ingest transaction, in its own savepoint: a failure here must never
    lose an order.
    """
    if event.type != "order.created":
        return
    if not order.invoice_request and not order.customer_id:
        return  # nothing to link from
    try:
        with transaction.atomic():  # a brand-new order has no link yet
            _tax_profile_link(order=order)
    except Exception:  # noqa: BLE001 — linking is best effort; it is retried on request
        logger.exception("tax profile link failed for order %s", order.pk)


def link_on_orders_created_many(pairs) -> None:
    """Set-based twin of ``link_on_order_created`` (registered with it): the same links for
    a page of new orders in a few statements.  The reads run in the caller's transaction;
    the writes, if any, in one savepoint (best effort, as above)."""
    orders = [order for order, event in pairs if event.type == "order.created"
              and (order.invoice_request or order.customer_id)]
    if not orders:
        return
    wanted = {}  # order -> (profile key, buyer) from channel fields
    for order in orders:
        buyer = buyer_from_channel(order.invoice_request)
        if buyer:
            wanted[order] = ((order.customer_id, buyer["name"], buyer["tax_id"]), buyer)
    buyers = {key: buyer for key, buyer in wanted.values()}
    profiles = _channel_profiles_found(buyers)
    links = []
    by_customer = {order.customer_id for order in orders if order not in wanted and order.customer_id}
    if by_customer:
        latest = {p.customer_id: p for p in TaxProfile.objects.filter(customer_id__in=by_customer)
                  .order_by("customer_id", "-verified", "-updated_at", "-id").distinct("customer_id")}
        links += [OrderTaxProfile(order=order, profile=latest[order.customer_id], source="customer")
                  for order in orders if order not in wanted and order.customer_id in latest]
    if not links and not wanted:
        return
    try:
        with transaction.atomic():
            for key, buyer in buyers.items():
                if key not in profiles:
                    profiles[key] = TaxProfile.objects.create(customer_id=key[0], **buyer)
            links += [OrderTaxProfile(order=order, profile=profiles[key], source="channel")
                      for order, (key, _buyer) in wanted.items()]
            OrderTaxProfile.objects.bulk_create(links, ignore_conflicts=True)
    except Exception:  # noqa: BLE001 — linking is best effort; it is retried on request
        logger.exception("tax profile link failed for %s new orders", len(orders))


def _channel_profiles_found(buyers: dict) -> dict:
    """Existing profile per (customer id, name, tax id) — the first made."""
    if not buyers:
        return {}
    match = Q()
    for customer_id, name, tax_id in buyers:
        match |= Q(customer_id=customer_id, name=name, tax_id=tax_id)
    found = {}
    for p in TaxProfile.objects.filter(match).order_by("id"):
        found.setdefault((p.customer_id, p.name, p.tax_id), p)
    return found
