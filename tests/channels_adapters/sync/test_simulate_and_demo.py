"""``simulate --in-process`` and the demo seed."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from channels_adapters import demo
from channels_adapters.models import SandboxDocument, SandboxMessage
from orders.models import Order, Shop
from tests.factories.channels import make_platform_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_shops(db):
    codes = dict(zip(("taobao", "jd", "pdd", "douyin"), demo.DEMO_SHOPS, strict=True))
    return [make_platform_shop(p, code=code, api_base_url=f"http://testserver/sandbox/{p}/")
            for p, code in codes.items()]


def test_simulate_in_process_prints_counts_and_lag(demo_shops, capsys):
    call_command("simulate", "--orders", "40", "--rate", "20", "--in-process", "--chaos", "--seed", "5",
                 "--reconcile")
    out = capsys.readouterr().out
    assert "created 40 orders" in out and "delivered" in out and "lag s: p50" in out
    assert "ingested 40/40 in their latest state" in out
    assert Order.objects.count() == 40


def test_simulate_needs_sandbox_shops(db):
    Shop.objects.all().delete()
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("simulate", "--orders", "1", "--in-process")


def test_demo_seed_is_idempotent(demo_shops):
    text = demo.seed()
    assert "sandbox orders created: 48" in text
    assert SandboxDocument.objects.count() == 48
    assert SandboxMessage.objects.filter(platform="taobao").exists()
    assert SandboxMessage.objects.filter(platform="douyin").exists()
    assert "already seeded" in demo.seed() and SandboxDocument.objects.count() == 48
