"""``FastTokenAuthentication``: DRF's token answers with one statement, never cached."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.api.authentication import FastTokenAuthentication
from tests.factories.orders import make_shop

pytestmark = pytest.mark.django_db
URL = "/api/v1/shops/"


@pytest.fixture
def token(django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("erp", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="view_shop"))
    return Token.objects.create(user=user)


def refused(response) -> bool:
    # 403, not 401: session authentication comes first and sends no WWW-Authenticate (DRF).
    return response.status_code == 403 and response.json()["code"] == "authentication_failed"


def get(key: str | None, header: str | None = None):
    client = APIClient()
    if header or key:
        client.credentials(HTTP_AUTHORIZATION=header or f"Token {key}")
    return client.get(URL)


def test_same_user_and_token_as_drf(token):
    ours = FastTokenAuthentication().authenticate_credentials(token.key)
    user, row = ours
    assert (user.pk, user.username, user.is_active, user.password) == (
        token.user.pk, "erp", True, token.user.password)
    assert (row.key, row.user_id, row.created) == (token.key, token.user_id, token.created)
    assert row.user is user and user._state.adding is False and user._state.db == "default"


def test_one_statement_authenticates(token):
    make_shop()
    with CaptureQueriesContext(connection) as queries:
        FastTokenAuthentication().authenticate_credentials(token.key)
    assert len(queries) == 1
    assert get(token.key).status_code == 200


def test_wrong_revoked_and_inactive_are_refused_at_once(token):
    assert get(token.key).status_code == 200
    assert refused(get("0" * 40))
    assert refused(get(None, header="Token"))  # no credentials after the keyword
    user = token.user
    user.is_active = False
    user.save()
    assert refused(get(token.key))  # no cache: the next request already sees it
    user.is_active = True
    user.save()
    assert get(token.key).status_code == 200
    key = token.key
    token.delete()
    assert refused(get(key))
