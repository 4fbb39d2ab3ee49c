"""Reads for the API and admin, with their joins decided here."""

from __future__ import annotations

from django.db.models import QuerySet

from invoicing.models import Invoice, InvoiceRequest, TaxCode, TaxProfile


def invoice_request_get(*, request_id: int) -> InvoiceRequest | None:
    return (InvoiceRequest.objects.select_related("order", "seller", "profile")
            .filter(pk=request_id).first())


def invoice_list(*, order_oid=None) -> QuerySet[Invoice]:
    qs = Invoice.objects.select_related("request__order", "blue").order_by("-created_at", "-id")
    if order_oid is not None:
        qs = qs.filter(request__order__oid=order_oid)
    return qs


def invoice_get(*, invoice_id: int) -> Invoice | None:
    return invoice_list().filter(pk=invoice_id).first()


def tax_code_list() -> QuerySet[TaxCode]:
    return TaxCode.objects.order_by("code")


def tax_profile_list(*, customer: int | None = None, tax_id: str | None = None
                     ) -> QuerySet[TaxProfile]:
    qs = TaxProfile.objects.select_related("customer").order_by("-updated_at", "-id")
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    if tax_id:
        qs = qs.filter(tax_id=tax_id)
    return qs
