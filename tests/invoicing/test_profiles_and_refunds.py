from datetime import timedelta

import pytest

from invoicing.models import OrderTaxProfile, TaxProfile
from invoicing.services.profiles import buyer_from_channel, tax_profile_for_order
from invoicing.services.requests import invoice_request_create, invoice_request_submit
from invoicing.services.sending import invoice_send_now
from orders.canonical import CanonicalLine
from orders.services.ingest import order_ingest
from tests.factories.invoicing import (
    enterprise_buyer,
    make_catalogue,
    make_order,
    make_profile,
    make_seller,
)
from tests.factories.orders import canonical_order, later, make_shop, make_sku

pytestmark = pytest.mark.django_db


def test_channel_invoice_fields_create_and_link_a_profile():
    make_catalogue()
    order = make_order(invoice_request={"invoiceInfo": {
        "invoiceTitle": "上海零号贸易有限公司", "invoiceCode": " 000000123456789 ",
        "invoiceType": "企业"}})
    link = OrderTaxProfile.objects.get(order=order)
    assert link.source == "channel"
    assert link.profile.tax_id == "000000123456789" and link.profile.title_type == "enterprise"
    assert link.profile.customer_id == order.customer_id


def test_channel_tax_id_as_json_number_is_not_trusted():
    buyer = buyer_from_channel({"invoice_name": "某公司有限公司", "tax_id": 123456789012345})
    assert buyer["tax_id"] == ""


def test_customer_profile_linked_when_no_channel_fields():
    make_catalogue()
    first = make_order()
    profile = make_profile(customer=first.customer)
    second = make_order()
    assert second.customer_id == first.customer_id
    assert OrderTaxProfile.objects.get(order=second).profile == profile
    assert tax_profile_for_order(order=first) == profile  # linked lazily too


def test_refund_proposes_partial_red(gateway, django_capture_on_commit_callbacks):
    make_catalogue()
    make_seller()
    make_shop()
    for code in ("R-1", "R-2"):
        make_sku(code, tax_code_id="1090511030000000000")
    canon = canonical_order(lines=[("R-1", 1, "100.00"), ("R-2", 1, "20.00")])
    order = order_ingest(canonical=canon, source="test").order
    request = invoice_request_create(order_oid=order.oid, kind="ordinary",
                                     buyer=enterprise_buyer())
    with django_capture_on_commit_callbacks(execute=True):
        invoice_request_submit(request_id=request.pk)
    blue = request.invoices.get()
    invoice_send_now(invoice_id=blue.pk)
    lines = tuple(
        CanonicalLine(**{**line.__dict__, "refund_status": "refunded" if i == 1 else "none"})
        for i, line in enumerate(canon.lines)
    )
    updated = canon.__class__(**{**canon.__dict__, "lines": lines, "refund_status": "refunded",
                                 "channel_modified_at": later(canon.channel_modified_at, 5)})
    order_ingest(canonical=updated, source="test")
    blue.refresh_from_db()
    assert blue.red_proposal["reason"] == "sales_return" and blue.red_proposal["lines"] == [2]
    assert request.events.filter(type="invoice.red_proposed").exists()

    from invoicing.services.red import invoice_red_from_proposal

    red = invoice_red_from_proposal(invoice_id=blue.pk)
    assert invoice_send_now(invoice_id=red.pk) == "issued"
    red.refresh_from_db()
    assert str(red.total) == "-20.00"
    blue.refresh_from_db()
    assert blue.red_proposal is None


def test_profile_tax_id_unchanged_through_history():
    from invoicing.services.profiles import tax_profile_update

    profile = make_profile(tax_id="00110101199003074512")
    tax_profile_update(profile_id=profile.pk, data={"name": "新名称贸易有限公司"})
    profile.refresh_from_db()
    assert profile.tax_id == "00110101199003074512" and profile.verified is False
    assert profile.history.get().data["name"] == "上海流转贸易有限公司"
    assert TaxProfile.objects.filter(tax_id="00110101199003074512").count() == 1
    assert timedelta(0) <= profile.updated_at - profile.created_at
