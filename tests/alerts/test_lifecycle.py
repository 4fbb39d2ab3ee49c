"""Publishing (outbox + e-mail) and staff actions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from channels_adapters.subscribers.models import Delivery, OutboxEvent, Subscription
from core.errors import PermissionDenied, ValidationFailed
from orders.alerts.models import Alert, AlertNotificationRule
from orders.alerts.services.lifecycle import alerts_acknowledge, alerts_assign, alerts_publish
from orders.models import Order
from tests.factories.orders_db import order_in_status

pytestmark = pytest.mark.django_db


def _alert(detect):
    order = order_in_status("approved")
    Order.objects.filter(pk=order.pk).update(receiver_district="")
    result = detect("address_suspect")
    return order, result.opened_ids


def test_alert_opened_goes_to_subscribers_once(detect):
    Subscription.objects.create(name="crm", url="https://crm.example.com/h", secret="s",
                                event_types=["alert.opened"])
    order, ids = _alert(detect)
    assert alerts_publish(alert_ids=ids) == ids
    event = OutboxEvent.objects.get(type="alert.opened")
    assert event.oid == order.oid and event.data["kind"] == "address_suspect"
    assert Delivery.objects.filter(event=event).count() == 1
    assert alerts_publish() == []  # the sweep finds nothing left


def test_sweep_publishes_what_was_missed(detect):
    _order, ids = _alert(detect)
    assert alerts_publish() == ids
    assert Alert.objects.get(pk=ids[0]).published_at is not None


def test_email_to_the_group(detect, django_user_model, django_capture_on_commit_callbacks):
    group = Group.objects.get(name="ops")
    user = django_user_model.objects.create_user("ops1", email="ops1@example.com", is_staff=True)
    user.groups.add(group)
    AlertNotificationRule.objects.create(kind="address_suspect", min_severity="medium",
                                         group=group)
    AlertNotificationRule.objects.create(kind="", min_severity="critical", group=group)
    _order, ids = _alert(detect)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_publish(alert_ids=ids)
    [message] = mail.outbox
    assert message.to == ["ops1@example.com"] and "Suspicious address" in message.body


def test_acknowledge_and_assign_need_permission(detect, django_user_model, group_user):
    _order, ids = _alert(detect)
    outsider = django_user_model.objects.create_user("x", is_staff=True)
    with pytest.raises(PermissionDenied):
        alerts_acknowledge(alert_ids=ids, actor=outsider)
    ops = group_user("ops")
    assert alerts_acknowledge(alert_ids=ids, actor=ops) == 1
    assert alerts_acknowledge(alert_ids=ids, actor=ops) == 0  # already acknowledged
    with pytest.raises(ValidationFailed):
        alerts_assign(alert_ids=ids, assignee=outsider.__class__(username="n", is_staff=False),
                      actor=ops)
    assert alerts_assign(alert_ids=ids, assignee=ops, actor=ops) == 1
    alert = Alert.objects.get(pk=ids[0])
    assert (alert.status, alert.assignee, alert.acknowledged_by) == ("acknowledged", ops, ops)
