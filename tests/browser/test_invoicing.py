"""Journey: a request blocked by a wrong taxpayer id → fix the tax profile → re-check →
submit the invoice to the tax gateway."""

from __future__ import annotations

import pytest

from invoicing.models import InvoiceRequest
from invoicing.services.requests import invoice_request_create
from tests.factories.invoicing import (
    VALID_USCC,
    make_catalogue,
    make_order,
    make_profile,
    make_seller,
)

from .conftest import login, run_action, shot

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_fix_a_tax_profile_and_submit_the_invoice(page, staff):
    # Given a special-invoice request whose buyer profile has a mistyped taxpayer id
    make_catalogue()
    make_seller()
    order = make_order([(1, "1130.00")])
    profile = make_profile(tax_id=VALID_USCC[:-1] + "0")
    request = invoice_request_create(order_oid=order.oid, kind="special", profile_id=profile.pk)
    assert request.status == "draft"
    staff("alice")
    login(page, "alice")
    page.goto(page.base_url + "/admin/invoicing/invoicerequest/")
    row = page.locator("#result_list tbody tr").first
    assert "buyer_tax_id_invalid" in row.inner_text()
    shot(page, "10-invoice-request-blocked")

    # When finance corrects the profile
    page.goto(page.base_url + f"/admin/invoicing/taxprofile/{profile.pk}/change/")
    page.fill("#id_tax_id", VALID_USCC)
    shot(page, "11-tax-profile-fix")
    page.click("input[name=_save]")
    assert "was changed successfully" in page.locator("ul.messagelist").inner_text()

    # and re-runs the pre-check, then submits
    page.goto(page.base_url + "/admin/invoicing/invoicerequest/")
    page.check(f"input[name=_selected_action][value='{request.pk}']")
    run_action(page, "recheck_selected")
    assert "Pre-check re-run." in page.locator("ul.messagelist").inner_text()
    assert "buyer_tax_id_invalid" not in page.locator("#result_list").inner_text()
    assert InvoiceRequest.objects.get(pk=request.pk).status == "prechecked"
    page.check(f"input[name=_selected_action][value='{request.pk}']")
    run_action(page, "submit_selected")

    # Then the request is submitted: its invoices wait in the outbox for the gateway sender
    assert "1 requests submitted." in page.locator("ul.messagelist").inner_text()
    request = InvoiceRequest.objects.get(pk=request.pk)
    assert request.status == "submitted"
    assert request.invoices.count() == len(request.plan) >= 1
    page.goto(page.base_url + f"/admin/invoicing/invoicerequest/{request.pk}/change/")
    shot(page, "12-invoice-submitted")
