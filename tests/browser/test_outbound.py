"""Journey: build an outbound batch from the queue, execute it, download a pick list."""

from __future__ import annotations

import re

import pytest

from tests.warehouses.outbound.conftest import make_orders, three_warehouses  # noqa: F401
from warehouses.models import OutboundBatch, Wave
from warehouses.services.outbound import outbound_batch_run

from .conftest import SCREENSHOTS, login, run_action, shot

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_build_execute_and_download_pick_list(page, staff, three_warehouses):  # noqa: F811
    # Given eight approved orders in the outbound queue
    orders = make_orders(8)
    staff("alice")
    login(page, "alice")
    page.goto(page.base_url + "/admin/warehouses/outboundorder/")
    for order in orders:
        page.check(f"input[name=_selected_action][value='{order.pk}']")
    shot(page, "13-outbound-queue")
    # When the staff member creates a batch from them, reviews the plan and executes it
    run_action(page, "create_outbound_batch")
    batch = OutboundBatch.objects.get()
    assert (batch.status, batch.total) == ("draft", 8)
    page.locator("ul.messagelist").get_by_role("link", name=f"#{batch.pk}").click()
    page.wait_for_url(re.compile(rf".*/admin/warehouses/outboundbatch/{batch.pk}/change/.*"))
    assert orders[0].channel_order_id in page.content()
    shot(page, "14-outbound-batch-draft")
    page.click("input[type=submit][value='Execute']")
    assert "is executing in the background" in page.locator("ul.messagelist").inner_text()
    outbound_batch_run(batch_id=batch.pk)  # what the worker does with the queued message
    page.goto(page.base_url + f"/admin/warehouses/outboundbatch/{batch.pk}/change/")
    batch.refresh_from_db()
    assert batch.status == "done"
    wave = Wave.objects.filter(batch=batch).order_by("id").first()
    assert wave.code in page.content()
    shot(page, "15-outbound-batch-done")
    # Then its pick list downloads as a PDF
    link = page.get_by_role("link", name="pick list").first
    response = page.context.request.get(page.base_url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "16-pick-list.pdf").write_bytes(body)
