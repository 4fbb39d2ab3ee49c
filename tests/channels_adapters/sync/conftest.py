"""Fixtures for the live-sync tests: sandbox shops, in-process HTTP, a frozen clock."""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from channels_adapters import clock
from channels_adapters.sandbox import common
from channels_adapters.sandbox.inprocess import in_process
from tests.factories.channels import make_platform_shop

T0 = datetime.fromisoformat("2026-11-11T10:00:00+08:00")


@pytest.fixture
def frozen_clock():
    with clock.frozen(T0):
        yield clock


@pytest.fixture
def inproc(frozen_clock):
    common.reset_limits()
    with in_process():
        yield
    common.reset_limits()


@pytest.fixture
def shops(db):
    return {p: make_platform_shop(p, api_base_url=f"http://testserver/sandbox/{p}/")
            for p in ("taobao", "jd", "pdd", "douyin")}


@pytest.fixture
def rng():
    return random.Random(7)
