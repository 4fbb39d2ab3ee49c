"""Invoice requests: create (pre-check + plan), re-check, submit.

Sending to the gateway lives in ``sending``; red-letter invoices in ``red``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from core.tasks_util import enqueue_on_commit
from invoicing.models import (
    Invoice,
    InvoiceKind,
    InvoiceRequest,
    RequestStatus,
    SellerEntity,
    TaxProfile,
    new_request_id,
)
from invoicing.services.events import invoice_event_record
from invoicing.services.items import order_items
from invoicing.services.precheck import BUYER_FIELDS, precheck
from invoicing.services.profiles import tax_profile_for_order
from invoicing.services.splitting import link_remarks, plan_split


def _seller(seller: SellerEntity | None) -> SellerEntity:
    if seller is not None:
        return seller
    seller = SellerEntity.objects.filter(is_default=True, active=True).first()
    if seller is None:
        raise ValidationFailed(_("no default seller entity is configured"), code="no_seller_entity")
    return seller


def _buyer_from_profile(profile: TaxProfile) -> dict:
    return {k: getattr(profile, k) for k in BUYER_FIELDS}


def _buyer_input(buyer: dict) -> dict:
    out = {}
    for k in BUYER_FIELDS:
        value = buyer.get(k, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationFailed(_("%(field)s must be a string") % {"field": f"buyer.{k}"}, code="invalid",
                                   details={f"buyer.{k}": [_("Must be a string.")]})
        out[k] = value
    return out


def _evaluate(order, seller: SellerEntity, kind: str, buyer: dict, remark: str):
    items = order_items(order, seller)
    if not items:
        raise ValidationFailed(_("the order has no lines"), code="order_has_no_lines")
    plan = plan_split(items, limit=seller.per_invoice_limit, max_lines=seller.max_lines(kind))
    remarks = link_remarks(plan, order_ref=order.channel_order_id, remark=remark)
    result = precheck(buyer=buyer, kind=kind, items=items, remarks=remarks)
    titles = {item.index: item.title for item in result.items}
    for inv in plan:
        for line in inv.lines:
            line.title = titles[line.index]
    return result, [inv.as_dict() for inv in plan]


def invoice_request_create(*, order_oid, kind: str, profile_id: int | None = None,
                           buyer: dict | None = None, remark: str = "",
                           seller: SellerEntity | None = None, actor=None,
                           source: str = "api") -> InvoiceRequest:
    from orders.models import Order

    if kind not in InvoiceKind.values:
        raise ValidationFailed(_("kind must be ordinary or special"), code="invalid_kind")
    if not isinstance(remark, str):
        raise ValidationFailed(_("%(field)s must be a string") % {"field": "remark"}, code="invalid")
    try:
        order = Order.objects.select_related("customer").get(oid=order_oid)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("no such order"), code="order_not_found") from None
    seller = _seller(seller)
    profile = None
    if profile_id is not None:
        profile = TaxProfile.objects.filter(pk=profile_id).first()
        if profile is None:
            raise NotFound(_("no such tax profile"), code="profile_not_found")
        buyer_data = _buyer_from_profile(profile)
    elif buyer is not None:
        buyer_data = _buyer_input(buyer)
    else:
        profile = tax_profile_for_order(order=order, actor=actor)
        if profile is None:
            raise ValidationFailed(_("give a profile or a buyer; none is linked to this order"),
                                   code="buyer_required")
        buyer_data = _buyer_from_profile(profile)
    result, plan = _evaluate(order, seller, kind, buyer_data, remark)
    with transaction.atomic():
        request = InvoiceRequest.objects.create(
            order=order, seller=seller, kind=kind, profile=profile, buyer=result.buyer,
            remark=remark, precheck=result.as_dict(), plan=plan,
            problem_codes=sorted({p.code for p in result.problems}),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        invoice_event_record(request=request, type="invoice.requested", actor=actor, source=source,
                             payload={"kind": kind, "invoices": len(plan)})
        _record_precheck(request, result, actor, source)
    return request


def _record_precheck(request: InvoiceRequest, result, actor, source: str) -> None:
    if result.ok:
        request.pass_precheck()
        request.save()
    invoice_event_record(
        request=request, type="invoice.prechecked" if result.ok else "invoice.precheck_failed",
        actor=actor, source=source, payload=result.as_dict(),
    )


def invoice_request_recheck(*, request_id: int, actor=None, source: str = "admin",
                            use_profile: bool = True) -> InvoiceRequest:
    """Run the pre-check again (after the profile or the catalogue was corrected)."""
    with transaction.atomic():
        request = _lock(request_id)
        if request.status not in (RequestStatus.DRAFT, RequestStatus.PRECHECKED):
            raise TransitionNotAllowed(_("a %(status)s request cannot be re-checked") % {"status": request.status})
        buyer = (_buyer_from_profile(request.profile) if use_profile and request.profile
                 else request.buyer)
        result, plan = _evaluate(request.order, request.seller, request.kind, buyer,
                                 request.remark)
        if request.status == RequestStatus.PRECHECKED:
            request.reopen()
        request.buyer, request.plan = result.buyer, plan
        request.precheck = result.as_dict()
        request.problem_codes = sorted({p.code for p in result.problems})
        request.save()
        _record_precheck(request, result, actor, source)
        return request


def _lock(request_id: int) -> InvoiceRequest:
    try:
        return (InvoiceRequest.objects.select_for_update(of=("self",))
                .select_related("order", "seller", "profile").get(pk=request_id))
    except InvoiceRequest.DoesNotExist:
        raise NotFound(_("no such invoice request"), code="invoice_request_not_found") from None


def invoice_request_submit(*, request_id: int, actor=None, source: str = "api") -> InvoiceRequest:
    """prechecked → submitted: one outbox ``Invoice`` row per planned invoice, sent on commit."""
    from invoicing.tasks import invoice_send_task

    with transaction.atomic():
        request = _lock(request_id)
        if not can_proceed(request.submit):
            raise TransitionNotAllowed(
                _("only a pre-checked request can be submitted (this one is %(status)s)")
                % {"status": request.status})
        request.submit()
        request.save()
        n = len(request.plan)
        invoices = Invoice.objects.bulk_create([
            Invoice(request=request, part=i, parts=n, gateway_request_id=new_request_id(),
                    amount=inv["amount"], tax=inv["tax"], total=inv["total"],
                    lines=inv["lines"], remark=inv["remark"])
            for i, inv in enumerate(request.plan, start=1)
        ])
        invoice_event_record(request=request, type="invoice.submitted", actor=actor, source=source,
                             payload={"invoices": [x.gateway_request_id for x in invoices]})
        for invoice in invoices:
            enqueue_on_commit(invoice_send_task, invoice.pk)
    return request
