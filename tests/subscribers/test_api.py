from __future__ import annotations

import pytest
from django.utils import timezone

from channels_adapters.subscribers.models import Delivery, Subscription
from channels_adapters.subscribers.services.outbox import outbox_publish
from channels_adapters.subscribers.services.relay import deliveries_relay

from .helpers import SECRET

pytestmark = pytest.mark.django_db

URL = "/api/v1/subscriptions/"


def create(api, **extra):
    body = {"name": "ERP", "url": "http://127.0.0.1:9/erp/", "secret": SECRET,
            "event_types": ["order.paid"], **extra}
    return api.post(URL, body, format="json")


def test_create_list_detail_secret_is_write_only(admin_api):
    response = create(admin_api, contract={"name": "WMS", "order_number_length": 18,
                                           "max_requests_per_second": 5})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "secret" not in body
    assert body["contract"]["order_number_length"] == 18
    assert body["event_types"] == ["order.paid"] and body["active"] is True
    listed = admin_api.get(URL).json()
    assert [s["id"] for s in listed] == [body["id"]] and "secret" not in listed[0]
    detail = admin_api.get(f"{URL}{body['id']}/").json()
    assert detail["contract"]["max_requests_per_second"] == 5
    assert Subscription.objects.get().secret == SECRET


def test_update_and_delete(admin_api):
    sid = create(admin_api).json()["id"]
    response = admin_api.patch(f"{URL}{sid}/", {"active": False, "event_types": [],
                                                "contract": {"timeout_seconds": "3.5"}},
                               format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["active"] is False and response.json()["event_types"] == []
    assert response.json()["contract"]["timeout_seconds"] == "3.50"
    assert admin_api.delete(f"{URL}{sid}/").status_code == 204
    assert admin_api.get(f"{URL}{sid}/").json()["code"] == "subscription_not_found"


@pytest.mark.parametrize("bad,code", [
    ({"url": "ftp://x/"}, "invalid"),
    ({"secret": "short"}, "secret_too_short"),
    ({"event_types": ["order.exploded"]}, "invalid"),
])
def test_validation_errors_have_codes(admin_api, bad, code):
    response = create(admin_api, **bad)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Subscription.objects.exists()


def test_deliveries_list_retry_and_replay(admin_api, receiver):
    sid = create(admin_api, url=receiver.url, event_types=[]).json()["id"]
    receiver.answer = lambda n, path: 400
    outbox_publish(type="alert.opened", oid=None, data={"a": 1})
    deliveries_relay(budget=3)
    page = admin_api.get(f"{URL}{sid}/deliveries/?status=failed").json()
    (row,) = page["results"]
    assert row["status"] == "failed" and row["last_status_code"] == 400
    assert row["event"]["type"] == "alert.opened"
    detail = admin_api.get(f"/api/v1/deliveries/{row['id']}/").json()
    assert detail["attempt_log"][0]["status_code"] == 400 and detail["body"]
    receiver.answer = None
    assert admin_api.post(f"/api/v1/deliveries/{row['id']}/retry/").json() == {"count": 1}
    deliveries_relay(budget=3)
    assert Delivery.objects.get(pk=row["id"]).status == "succeeded"
    since = (timezone.now() - timezone.timedelta(hours=1)).isoformat()
    response = admin_api.post(f"{URL}{sid}/replay/", {"since": since}, format="json")
    assert response.status_code == 202 and response.json() == {"count": 1}
    deliveries_relay(budget=3)
    assert len(receiver.ok_hits()) == 2
    assert len({h.body for h in receiver.ok_hits()}) == 1  # same event, same id
    assert len({h.headers["X-Liuzhuan-Delivery"] for h in receiver.ok_hits()}) == 2


def test_permissions(api_client, group_user):
    api_client.force_authenticate(group_user("warehouse"))
    assert api_client.get(URL).status_code == 200
    assert create(api_client).status_code == 403
    api_client.force_authenticate(group_user("ops", "ops1"))
    assert create(api_client).status_code == 201
    api_client.force_authenticate(None)
    assert api_client.get(URL).status_code in (401, 403)
