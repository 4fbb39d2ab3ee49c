"""Send queued invoices to the tax gateway (the outbox relay) and record the answer.

Claim (short transaction, ``skip_locked``) → HTTP with no lock held → record
(lock request, then invoice).  A claim is a lease: a worker that died while
sending leaves a ``sending`` row that another worker may take after
``LEASE``; the gateway is idempotent by ``request_id``, so that re-send gets
the same invoice back.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from invoicing.gateway.client import GatewayUnavailable, TaxGatewayClient
from invoicing.gateway.payload import red_payload, submit_payload
from invoicing.models import (
    Direction,
    GatewayAttempt,
    Invoice,
    InvoiceRequest,
    InvoiceStatus,
    RequestStatus,
)
from invoicing.services.events import invoice_event_record

LEASE = timedelta(seconds=120)
_client: TaxGatewayClient | None = None


def gateway_client() -> TaxGatewayClient:
    global _client
    if _client is None:
        _client = TaxGatewayClient()
    return _client


def set_gateway_client(client: TaxGatewayClient | None) -> None:
    """For tests and the bench: point the relay at another gateway / transport."""
    global _client
    _client = client


def _claim(invoice_id: int) -> Invoice | None:
    with transaction.atomic():
        invoice = (Invoice.objects.select_for_update(skip_locked=True)
                   .filter(pk=invoice_id, status__in=[InvoiceStatus.QUEUED, InvoiceStatus.SENDING])
                   .first())
        if invoice is None:
            return None
        now = timezone.now()
        if invoice.status == InvoiceStatus.SENDING and invoice.claimed_at and \
                invoice.claimed_at > now - LEASE:
            return None
        invoice.status, invoice.claimed_at = InvoiceStatus.SENDING, now
        invoice.save(update_fields=["status", "claimed_at", "updated_at"])
    return (Invoice.objects.select_related("request__seller", "request__order", "blue")
            .get(pk=invoice_id))


def invoice_send_now(*, invoice_id: int, client: TaxGatewayClient | None = None) -> str:
    """Send one invoice; returns its resulting status ('skipped' if not ours to send)."""
    invoice = _claim(invoice_id)
    if invoice is None:
        return "skipped"
    client = client or gateway_client()
    red = invoice.direction == Direction.RED
    try:
        result = client.red(red_payload(invoice)) if red else client.submit(submit_payload(invoice))
    except GatewayUnavailable as exc:
        _record_unavailable(invoice.pk, exc)
        raise
    return _record_result(invoice.pk, result)


def _attempts(invoice: Invoice, operation: str, attempts) -> None:
    GatewayAttempt.objects.bulk_create([
        GatewayAttempt(invoice=invoice, operation=operation, http_status=a.http_status,
                       code=a.code[:32], message=a.message[:500], duration_ms=a.duration_ms)
        for a in attempts
    ])


def _lock_pair(invoice_id: int) -> tuple[InvoiceRequest, Invoice]:
    request_id = Invoice.objects.values_list("request_id", flat=True).get(pk=invoice_id)
    request = (InvoiceRequest.objects.select_for_update(of=("self",)).select_related("order")
               .get(pk=request_id))
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    return request, invoice


def _record_unavailable(invoice_id: int, exc: GatewayUnavailable) -> None:
    with transaction.atomic():
        request, invoice = _lock_pair(invoice_id)
        _attempts(invoice, invoice.direction, exc.attempts)
        invoice.status, invoice.claimed_at = InvoiceStatus.QUEUED, None
        invoice.save(update_fields=["status", "claimed_at", "updated_at"])
        invoice_event_record(request=request, type="invoice.gateway_unavailable",
                             payload={"invoice": invoice.gateway_request_id, "attempts": len(exc.attempts)})


def _record_result(invoice_id: int, result) -> str:
    with transaction.atomic():
        request, invoice = _lock_pair(invoice_id)
        _attempts(invoice, invoice.direction, result.attempts)
        if invoice.status != InvoiceStatus.SENDING:
            return invoice.status  # somebody recorded it meanwhile
        if result.ok:
            _issued(request, invoice, result.data)
        else:
            _rejected(request, invoice, result)
        return invoice.status


def _issued(request: InvoiceRequest, invoice: Invoice, data: dict) -> None:
    invoice.status = InvoiceStatus.ISSUED
    invoice.number = str(data.get("invoiceNo", ""))
    invoice.issued_at = parse_datetime(str(data.get("issuedAt", ""))) or timezone.now()
    invoice.pdf_url = str(data.get("pdfUrl", ""))[:500]
    invoice.xml_url = str(data.get("xmlUrl", ""))[:500]
    invoice.claimed_at = None
    invoice.save()
    payload = {"invoice": invoice.gateway_request_id, "number": invoice.number,
               "total": str(invoice.total), "part": f"{invoice.part}/{invoice.parts}"}
    if invoice.direction == Direction.RED:
        _red_issued(request, invoice, payload)
        return
    invoice_event_record(request=request, type="invoice.part_issued", payload=payload)
    pending = request.invoices.filter(direction=Direction.BLUE).exclude(
        status=InvoiceStatus.ISSUED).exists()
    if not pending and request.status == RequestStatus.SUBMITTED:
        request.mark_issued()
        request.save()
        numbers = list(request.invoices.filter(direction=Direction.BLUE)
                       .order_by("part").values_list("number", flat=True))
        invoice_event_record(request=request, type="invoice.issued", order_event=True,
                             payload={"numbers": numbers})


def _red_issued(request: InvoiceRequest, invoice: Invoice, payload: dict) -> None:
    payload = {**payload, "blue": invoice.blue.number, "reason": invoice.red_reason}
    invoice_event_record(request=request, type="invoice.red", order_event=True, payload=payload)
    blues = list(request.invoices.filter(direction=Direction.BLUE, status=InvoiceStatus.ISSUED))
    reversed_total = {
        b.pk: sum((r.total for r in b.reds.filter(status=InvoiceStatus.ISSUED)), Decimal("0"))
        for b in blues
    }
    if blues and all(b.total + reversed_total[b.pk] == 0 for b in blues) \
            and request.status == RequestStatus.ISSUED:
        request.mark_red_flushed()
        request.save()
        invoice_event_record(request=request, type="invoice.red_flushed", payload={})


def _rejected(request: InvoiceRequest, invoice: Invoice, result) -> None:
    invoice.status = InvoiceStatus.REJECTED
    invoice.reject_code, invoice.reject_message = result.code[:32], result.message[:500]
    invoice.claimed_at = None
    invoice.save()
    payload = {"invoice": invoice.gateway_request_id, "code": result.code, "message": result.message,
               "field": result.field}
    if invoice.direction == Direction.RED:
        invoice_event_record(request=request, type="invoice.red_rejected", payload=payload)
        return
    if request.status == RequestStatus.SUBMITTED:
        request.mark_rejected()
        request.save()
    invoice_event_record(request=request, type="invoice.rejected", order_event=True,
                         payload=payload)
