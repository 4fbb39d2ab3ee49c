"""Error messages follow the request's language; the machine-readable ``code`` never does."""

from __future__ import annotations

import pytest
from django.utils import translation

from core.errors import NotFound, TransitionNotAllowed
from orders.services.transitions import order_transition
from tests.factories.orders_db import order_in_status

pytestmark = pytest.mark.django_db


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _post_transition(client, order, name, language):
    return client.post(f"/api/v1/orders/{order.oid}/transitions/{name}/", {}, format="json",
                       HTTP_ACCEPT_LANGUAGE=language)


def test_forbidden_transition_message_is_chinese_under_zh_hans(admin_api):
    order = order_in_status("shipped")
    response = _post_transition(admin_api, order, "approve", "zh-hans")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed"
    assert body["message"] == "状态为 shipped 的订单不能执行 approve"
    assert body["details"] == {"status": "shipped", "transition": "approve"}


def test_forbidden_transition_message_is_english_under_en(admin_api):
    order = order_in_status("shipped")
    response = _post_transition(admin_api, order, "approve", "en")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed"
    assert body["message"] == "cannot approve an order in status shipped"


def test_a_mainland_browser_gets_chinese_api_errors(admin_api):
    order = order_in_status("paid")
    response = _post_transition(admin_api, order, "teleport", "zh-CN,zh;q=0.9,en;q=0.8")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "unknown_transition"
    assert body["message"] == "未知的状态流转 'teleport'"


def test_service_messages_are_built_in_the_active_language():
    order = order_in_status("shipped")
    with translation.override("zh-hans"), pytest.raises(TransitionNotAllowed) as exc:
        order_transition(oid=order.oid, name="approve", actor=None, source="test")
    assert exc.value.code == "transition_not_allowed" and _has_chinese(exc.value.message)
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as exc:
        order_transition(oid=order.oid, name="approve", actor=None, source="test")
    assert exc.value.message == "cannot approve an order in status shipped"


def test_default_messages_translate_too():
    with translation.override("zh-hans"):
        err = NotFound()
    assert (err.code, err.message) == ("not_found", "对象不存在。")
    with translation.override("en"):
        assert NotFound().message == "No such object."


def test_admin_reports_a_refused_transition_in_chinese(admin_client):
    order = order_in_status("paid")
    response = admin_client.post(f"/admin/orders/order/{order.pk}/transition/deliver/",
                                 follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    messages = [str(m) for m in response.context["messages"]]
    assert "状态为 paid 的订单不能执行 deliver" in messages, messages
