from __future__ import annotations

import json

import dramatiq
import pytest
from django.test import Client

from invoicing.gateway.client import TaxGatewayClient
from invoicing.gateway.transport import Response
from invoicing.sandbox import store
from invoicing.services.sending import set_gateway_client


class ClientTransport:
    """The sandbox reached in-process through Django's test client (no socket)."""

    def __init__(self):
        self.client = Client()
        self.calls: list[tuple[str, str, dict | None]] = []

    def request(self, method, url, body, timeout):
        path = url.split("testserver", 1)[1]
        self.calls.append((method, path, body))
        if method == "POST":
            resp = self.client.post(path, data=json.dumps(body, ensure_ascii=False),
                                    content_type="application/json")
        else:
            resp = self.client.get(path)
        return Response(resp.status_code, json.loads(resp.content or b"{}"), dict(resp.headers))


@pytest.fixture
def sandbox():
    store.reset()
    yield store
    store.reset()


@pytest.fixture
def broker():
    b = dramatiq.get_broker()
    b.flush_all()
    yield b
    b.flush_all()


@pytest.fixture
def gateway(settings, sandbox, broker):
    """Gateway client → in-process sandbox, with the rate limits lifted for speed."""
    settings.INVOICING_GATEWAY_RATE = 10_000
    settings.INVOICING_SANDBOX_RATE = 10_000
    transport = ClientTransport()
    client = TaxGatewayClient(base_url="http://testserver/sandbox/tax/", transport=transport,
                              backoff=0.0)
    client.transport_calls = transport.calls
    set_gateway_client(client)
    yield client
    set_gateway_client(None)
