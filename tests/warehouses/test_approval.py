from __future__ import annotations

import dramatiq
import pytest
from django.contrib.auth.models import Permission

from core.errors import PermissionDenied
from orders.canonical import CanonicalBuyer
from orders.models import Customer
from tests.factories.orders import make_sku
from tests.factories.warehouses import make_order, receiver
from warehouses.models import ApprovalRule, PriceFloor
from warehouses.services.approval import (
    approve_for_status_change,
    order_review_approve,
    order_review_reject,
)
from warehouses.tasks import orders_approval_sweep_task

pytestmark = pytest.mark.django_db


def test_ninety_nine_yuan_ordinary_order_is_auto_approved():
    order = make_order([("SKU-1", 1, "99.00")])
    assert (order.status, order.hold_reason) == ("approved", "")
    event = order.events.get(type="order.approved")
    assert event.payload["approval"]["outcome"] == "auto_release"


def test_sixty_thousand_yuan_order_goes_to_second_level_review():
    order = make_order([("SKU-1", 1, "60000.00")])
    assert (order.status, order.hold_reason) == ("on_hold", "second_review")
    payload = order.events.get(type="order.on_hold").payload
    assert payload["approval"]["rule"]["condition"] == "amount_gte"


def test_cross_border_order_goes_to_review():
    order = make_order(cross_border=True)
    assert (order.status, order.hold_reason) == ("on_hold", "second_review")


@pytest.mark.parametrize("setup, extra, reason", [
    ("blacklist", {}, "review"),
    (None, {"presale": True}, "second_review"),
    (None, {"receiver": receiver(address="测试")}, "review"),
    ("floor", {}, "review"),
    ("message", {"buyer_message": "请送到门口"}, "review"),
])
def test_each_condition_holds_the_order(setup, extra, reason):
    if setup == "blacklist":
        Customer.objects.create(channel="taobao", channel_buyer_id="bad", blacklisted=True)
        extra = {"buyer": CanonicalBuyer(channel_buyer_id="bad", nick="x")}
    elif setup == "floor":
        PriceFloor.objects.create(sku=make_sku("SKU-1"), min_unit_price="120.00")
    elif setup == "message":
        ApprovalRule.objects.filter(condition="buyer_message").update(active=True)
    order = make_order(**extra)
    assert (order.status, order.hold_reason) == ("on_hold", reason)


def test_unknown_sku_is_held_for_review():
    from warehouses.services.approval import order_approval_run

    held = make_order([("NEVER-SEEN", 1, "9.00")], evaluate=False)
    held.lines.update(sku=None)  # the channel sent a merchant code we do not know
    assert order_approval_run(oid=held.oid).hold_reason == "review"


def test_first_matching_rule_by_priority_decides():
    ApprovalRule.objects.filter(condition="cross_border").update(priority=1, outcome="review")
    order = make_order([("SKU-1", 1, "60000.00")], cross_border=True)
    assert order.hold_reason == "review"
    matched = order.events.get(type="order.on_hold").payload["approval"]["matched"]
    assert [m["condition"] for m in matched] == ["cross_border", "amount_gte"]


def test_paid_hook_enqueues_evaluation_on_commit_and_the_actor_applies_it(
    django_capture_on_commit_callbacks,
):
    broker = dramatiq.get_broker()
    broker.flush_all()
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(evaluate=False)
    assert order.status == "paid"
    messages = [dramatiq.Message.decode(raw) for raw in broker.queues["ingest"].queue]
    assert [(m.actor_name, m.args) for m in messages] == [("orders_approval_sweep_task", ())]
    with django_capture_on_commit_callbacks(execute=True):  # a burst: no second message
        make_order(evaluate=False, channel_order_id="SECOND")
    assert broker.queues["ingest"].qsize() == 1
    broker.flush_all()
    orders_approval_sweep_task(*messages[0].args)
    orders_approval_sweep_task(*messages[0].args)  # idempotent: already approved
    order.refresh_from_db()
    assert order.status == "approved"
    assert order.events.filter(type="order.approved").count() == 1


def test_hook_does_not_reenter_while_evaluating(django_capture_on_commit_callbacks, monkeypatch):
    from warehouses.services import approval

    order = make_order(evaluate=False)
    monkeypatch.setattr(approval._local, "active", True, raising=False)
    with django_capture_on_commit_callbacks() as callbacks:
        approve_for_status_change(order=order, from_status="pending_payment", to_status="paid",
                                  actor=None, source="test")
    assert callbacks == []


# ------------------------------------------------------------------ four eyes


@pytest.fixture
def second_review_order():
    order = make_order([("SKU-1", 1, "60000.00")])
    assert order.hold_reason == "second_review"
    return order


def test_second_level_review_needs_two_different_people(second_review_order, group_user):
    alice, bob = group_user("ops", "alice"), group_user("ops", "bob")
    oid = second_review_order.oid
    order = order_review_approve(oid=oid, actor=alice)
    assert (order.status, order.hold_reason) == ("on_hold", "second_review")
    with pytest.raises(PermissionDenied) as caught:
        order_review_approve(oid=oid, actor=alice)
    assert (caught.value.code, caught.value.status) == ("four_eyes", 403)
    order = order_review_approve(oid=oid, actor=bob)
    assert order.status == "approved"
    events = list(order.events.filter(type__in=["order.review_approved", "order.approved"])
                  .order_by("id").values_list("type", "actor__username"))
    assert events == [("order.review_approved", "alice"), ("order.review_approved", "bob"),
                      ("order.approved", "bob")]


def test_second_approval_needs_the_second_level_permission(second_review_order, group_user,
                                                           django_user_model):
    alice = group_user("ops", "alice")
    carol = django_user_model.objects.create_user("carol", is_staff=True)
    carol.user_permissions.add(Permission.objects.get(codename="approve_order"))
    order_review_approve(oid=second_review_order.oid, actor=alice)
    with pytest.raises(PermissionDenied) as caught:
        order_review_approve(oid=second_review_order.oid, actor=carol)
    assert caught.value.code == "second_level_permission"


def test_api_transition_approve_goes_through_the_four_eyes_guard(second_review_order,
                                                                  api_client, group_user):
    alice, bob = group_user("ops", "alice"), group_user("ops", "bob")
    url = f"/api/v1/orders/{second_review_order.oid}/transitions/approve/"
    api_client.force_authenticate(alice)
    first = api_client.post(url, {}, format="json")
    if first.status_code == 409:  # the orders service cannot let a guard record approval one
        assert first.json()["code"] == "first_approval_required"
        first = api_client.post(f"/api/v1/reviews/{second_review_order.oid}/approve/", {},
                                format="json")
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "on_hold"
    again = api_client.post(url, {}, format="json")
    assert again.status_code == 403
    assert again.json()["code"] == "four_eyes"
    api_client.force_authenticate(bob)
    done = api_client.post(url, {}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "approved"


def test_first_level_review_is_one_approval_over_the_api(api_client, group_user):
    order = make_order(receiver=receiver(address="测试"))
    assert order.hold_reason == "review"
    api_client.force_authenticate(group_user("ops"))
    response = api_client.post(f"/api/v1/orders/{order.oid}/transitions/approve/", {},
                               format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"


def test_reject_cancels_the_order(second_review_order, group_user):
    order = order_review_reject(oid=second_review_order.oid, actor=group_user("ops"), note="fraud")
    assert order.status == "cancelled"
    assert order.events.get(type="order.cancelled").payload["note"] == "rejected in review: fraud"


def test_release_cannot_bypass_four_eyes(second_review_order, api_client, group_user):
    alice = group_user("ops", "alice")
    order_review_approve(oid=second_review_order.oid, actor=alice)
    api_client.force_authenticate(alice)
    response = api_client.post(f"/api/v1/orders/{second_review_order.oid}/transitions/release/",
                               {}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "four_eyes")


def test_manual_approve_of_a_paid_order_cannot_skip_second_level_rules(api_client, group_user):
    order = make_order([("SKU-1", 1, "60000.00")], evaluate=False)
    api_client.force_authenticate(group_user("ops"))
    response = api_client.post(f"/api/v1/orders/{order.oid}/transitions/approve/", {},
                               format="json")
    assert (response.status_code, response.json()["code"]) == (409, "second_review_required")
    small = make_order(evaluate=False)
    response = api_client.post(f"/api/v1/orders/{small.oid}/transitions/approve/", {},
                               format="json")
    assert response.status_code == 200
