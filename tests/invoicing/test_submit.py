import re
from decimal import Decimal

import pytest

from invoicing.models import Invoice, InvoiceRequest
from invoicing.services.red import invoice_red_create
from invoicing.services.requests import invoice_request_create, invoice_request_submit
from invoicing.services.sending import invoice_send_now
from tests.factories.invoicing import enterprise_buyer, make_catalogue, make_order, make_seller

pytestmark = pytest.mark.django_db


def issue(order, buyer=None, kind="ordinary", capture=None):
    request = invoice_request_create(order_oid=order.oid, kind=kind,
                                     buyer=buyer or enterprise_buyer())
    assert request.status == "prechecked", request.precheck
    with capture(execute=True):
        invoice_request_submit(request_id=request.pk)
    for invoice in request.invoices.order_by("part"):
        assert invoice_send_now(invoice_id=invoice.pk) == "issued"
    request.refresh_from_db()
    return request


def test_submit_issues_20_digit_numbers_and_links(gateway, django_capture_on_commit_callbacks,
                                                  broker):
    make_catalogue()
    make_seller("99999.99")
    order = make_order([(10, "25000.00")])
    request = issue(order, capture=django_capture_on_commit_callbacks)
    assert request.status == "issued"
    invoices = list(request.invoices.order_by("part"))
    assert len(invoices) == 3
    assert all(re.fullmatch(r"\d{20}", inv.number) for inv in invoices)
    assert sum(inv.total for inv in invoices) == Decimal("250000.00")
    assert all(inv.pdf_url.endswith(".pdf") and inv.xml_url.endswith(".xml") for inv in invoices)
    types = list(request.events.values_list("type", flat=True))
    assert types[:3] == ["invoice.requested", "invoice.prechecked", "invoice.submitted"]
    assert types[-1] == "invoice.issued"
    assert order.events.filter(type="invoice.issued").count() == 1
    assert broker.queues["invoices"].qsize() == 3  # one send message per invoice


def test_same_request_id_same_invoice(gateway, django_capture_on_commit_callbacks, sandbox):
    make_catalogue()
    make_seller()
    request = issue(make_order(), capture=django_capture_on_commit_callbacks)
    invoice = request.invoices.get()
    from invoicing.gateway.payload import submit_payload

    again = gateway.submit(submit_payload(invoice))
    assert again.ok and again.data["invoiceNo"] == invoice.number
    # A re-delivered message for a finished invoice sends nothing.
    calls = len(gateway.transport_calls)
    assert invoice_send_now(invoice_id=invoice.pk) == "skipped"
    assert len(gateway.transport_calls) == calls
    assert sandbox.issues_per_request() == {invoice.gateway_request_id: 1}


def test_gateway_request_carries_tax_id_character_for_character(
        gateway, django_capture_on_commit_callbacks):
    make_catalogue()
    make_seller()
    legacy = "000000123456789"
    request = issue(make_order(), buyer=enterprise_buyer(tax_id=legacy),
                    capture=django_capture_on_commit_callbacks)
    sent = [body for method, path, body in gateway.transport_calls if path.endswith("invoices/")]
    assert sent[-1]["buyerTaxNum"] == legacy
    assert request.buyer["tax_id"] == legacy


def test_rejection_recorded(gateway, django_capture_on_commit_callbacks):
    make_catalogue()
    make_seller()
    order = make_order()
    request = invoice_request_create(order_oid=order.oid, kind="ordinary",
                                     buyer=enterprise_buyer())
    # The buyer changes behind the pre-check's back (e.g. a bad edit): the gateway refuses.
    InvoiceRequest.objects.filter(pk=request.pk).update(
        buyer={**request.buyer, "tax_id": "91350100M000100Y44"})
    with django_capture_on_commit_callbacks(execute=True):
        invoice_request_submit(request_id=request.pk)
    invoice = request.invoices.get()
    assert invoice_send_now(invoice_id=invoice.pk) == "rejected"
    invoice.refresh_from_db()
    request.refresh_from_db()
    assert request.status == "rejected" and invoice.reject_code == "E1102"
    assert order.events.filter(type="invoice.rejected").exists()


def test_red_full_and_partial(gateway, django_capture_on_commit_callbacks):
    make_catalogue()
    make_seller()
    order = make_order([(1, "100.00"), (2, "50.00"), (1, "30.00")])
    request = issue(order, capture=django_capture_on_commit_callbacks)
    blue = request.invoices.get()
    with django_capture_on_commit_callbacks(execute=True):
        red = invoice_red_create(invoice_id=blue.pk, reason="sales_return", lines=[{"index": 2}])
    assert invoice_send_now(invoice_id=red.pk) == "issued"
    red.refresh_from_db()
    assert red.total == Decimal("-100.00") and re.fullmatch(r"\d{20}", red.number)
    request.refresh_from_db()
    assert request.status == "issued"
    with pytest.raises(Exception) as exc:
        invoice_red_create(invoice_id=blue.pk, reason="sales_return", lines=[{"index": 2}])
    assert exc.value.code == "red_exceeds_blue"
    with pytest.raises(Exception) as exc:
        invoice_red_create(invoice_id=blue.pk, reason="wrong_invoice")
    assert exc.value.code == "already_partly_red"
    red2 = invoice_red_create(invoice_id=blue.pk, reason="discount",
                              lines=[{"index": 1}, {"index": 3, "total": "30.00"}])
    assert invoice_send_now(invoice_id=red2.pk) == "issued"
    request.refresh_from_db()
    assert request.status == "red_flushed"
    assert list(request.events.values_list("type", flat=True))[-1] == "invoice.red_flushed"


def test_full_red_of_single_invoice(gateway, django_capture_on_commit_callbacks):
    make_catalogue()
    make_seller()
    request = issue(make_order(), capture=django_capture_on_commit_callbacks)
    blue = request.invoices.get()
    red = invoice_red_create(invoice_id=blue.pk, reason="wrong_invoice")
    assert invoice_send_now(invoice_id=red.pk) == "issued"
    request.refresh_from_db()
    assert request.status == "red_flushed"
    assert Invoice.objects.filter(blue=blue).get().total == -blue.total
