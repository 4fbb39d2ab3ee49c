from __future__ import annotations

import pytest
from django.urls import reverse

from channels_adapters.subscribers.models import Contract, Delivery, Subscription
from channels_adapters.subscribers.services.outbox import outbox_publish
from channels_adapters.subscribers.services.relay import deliveries_relay

from .helpers import SECRET, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def test_changelists_render(staff, receiver):
    sub = subscribe(receiver.url, contract=Contract.objects.create(name="WMS", order_number_length=18))
    outbox_publish(type="alert.opened", oid=None, data={})
    deliveries_relay(budget=3)
    for model in ("subscription", "contract", "delivery", "deliveryattempt", "outboxevent",
                  "sandboxreceiver", "receivedwebhook"):
        response = staff.get(reverse(f"admin:subscribers_{model}_changelist"))
        assert response.status_code == 200, model
    delivery = Delivery.objects.get()
    assert staff.get(reverse("admin:subscribers_delivery_change", args=[delivery.pk])).status_code == 200
    assert staff.get(reverse("admin:subscribers_subscription_change", args=[sub.pk])).status_code == 200
    search = staff.get(reverse("admin:subscribers_delivery_changelist") + f"?q={delivery.pk}")
    assert str(delivery.pk) in search.content.decode()


def test_create_subscription_in_admin_keeps_secret_write_only(staff):
    url = reverse("admin:subscribers_subscription_add")
    response = staff.post(url, {"name": "CRM", "url": "http://127.0.0.1:9/crm/", "secret": SECRET,
                                "event_types": ["order.paid"], "active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    sub = Subscription.objects.get()
    assert sub.secret == SECRET and sub.event_types == ["order.paid"]
    page = staff.get(reverse("admin:subscribers_subscription_change", args=[sub.pk])).content.decode()
    assert SECRET not in page
    staff.post(reverse("admin:subscribers_subscription_change", args=[sub.pk]),
               {"name": "CRM2", "url": sub.url, "secret": "", "active": "on"})
    sub.refresh_from_db()
    assert sub.name == "CRM2" and sub.secret == SECRET


def test_retry_and_replay_actions(staff, receiver):
    receiver.answer = lambda n, path: 400
    sub = subscribe(receiver.url)
    outbox_publish(type="alert.opened", oid=None, data={})
    deliveries_relay(budget=3)
    delivery = Delivery.objects.get()
    receiver.answer = None
    staff.post(reverse("admin:subscribers_delivery_changelist"),
               {"action": "retry", "_selected_action": [str(delivery.pk)]})
    deliveries_relay(budget=3)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    changelist = reverse("admin:subscribers_subscription_changelist")
    form = staff.post(changelist, {"action": "replay_since", "_selected_action": [sub.pk]})
    assert form.status_code == 200 and b"replay" in form.content.lower()
    staff.post(changelist, {"action": "replay_since", "_selected_action": [sub.pk], "apply": "1",
                            "since": "2000-01-01T00:00"})
    assert Delivery.objects.count() == 2
