"""Admin: queue action → draft batch; batch page with plan, waves, PDFs; buttons; groups."""

from __future__ import annotations

import pytest
from django.urls import reverse

from warehouses.models import BatchOrder, OutboundBatch, OutboundFilter, Wave
from warehouses.services.outbound import outbound_batch_run

from .conftest import make_orders, pdf_pages


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_queue_action_batch_page_buttons_and_pdfs(three_warehouses, client, group_user,
                                                  django_capture_on_commit_callbacks):
    orders = make_orders(8)
    client.force_login(group_user("warehouse"))
    url = reverse("admin:warehouses_outboundorder_changelist")
    r = client.post(url, {"action": "create_outbound_batch",
                          "_selected_action": [o.pk for o in orders]}, follow=True)
    assert r.status_code == 200
    batch = OutboundBatch.objects.get()
    assert batch.status == "draft" and batch.total == 8 and batch.source == "admin"
    page = client.get(reverse("admin:warehouses_outboundbatch_change", args=[batch.pk]))
    assert page.status_code == 200
    assert orders[0].channel_order_id in page.content.decode()

    r = client.post(reverse("admin:outbound_execute", args=[batch.pk]))
    assert r.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "executing"
    outbound_batch_run(batch_id=batch.pk)  # what the worker does
    page = client.get(reverse("admin:warehouses_outboundbatch_change", args=[batch.pk])).content
    wave = Wave.objects.filter(batch=batch).first()
    assert wave.code in page.decode()
    labels = client.get(reverse("admin:outbound_wave_labels", args=[wave.pk]))
    assert pdf_pages(labels.content) == wave.orders_count
    picks = client.get(reverse("admin:outbound_wave_picklist", args=[wave.pk]))
    assert picks["Content-Type"] == "application/pdf"

    r = client.post(reverse("admin:outbound_handover", args=[batch.pk]), {"wave": wave.code})
    assert r.status_code == 302
    assert BatchOrder.objects.filter(batch=batch, step="shipped").count() == wave.orders_count
    client.post(reverse("admin:outbound_rollback", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "rolled_back"
    assert client.get(reverse("admin:outbound_execute", args=[batch.pk])).status_code == 405
    failed = client.get(reverse("admin:warehouses_batchorder_changelist") + "?step=failed")
    assert failed.status_code == 200


@pytest.mark.django_db
def test_saved_filter_action_and_permissions(three_warehouses, client, group_user):
    make_orders(3)
    saved = OutboundFilter.objects.create(name="Shanghai", params={"province": "上海"})
    client.force_login(group_user("warehouse"))
    client.post(reverse("admin:warehouses_outboundfilter_changelist"),
                {"action": "create_batch", "_selected_action": [saved.pk]})
    batch = OutboundBatch.objects.get()
    assert batch.total == 1 and batch.filter == {"saved": saved.pk}
    assert client.get(reverse("admin:warehouses_wavetemplate_changelist")).status_code == 200

    client.force_login(group_user("ops"))
    assert client.get(reverse("admin:warehouses_outboundbatch_change",
                              args=[batch.pk])).status_code == 200
    assert client.post(reverse("admin:outbound_execute", args=[batch.pk])).status_code == 403
    assert client.post(reverse("admin:outbound_rollback", args=[batch.pk])).status_code == 403
    batch.refresh_from_db()
    assert batch.status == "draft"
