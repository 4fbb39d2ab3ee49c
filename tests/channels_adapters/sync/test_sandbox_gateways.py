"""Each sandbox gateway checks our signature and the platform's window/paging/rate rules,
answering with that platform's own error envelope."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from django.test import override_settings

from channels_adapters import clock
from channels_adapters.platforms import PlatformRejected, RateLimited, get_platform, http
from channels_adapters.sandbox.engine import sandbox_order_create
from channels_adapters.sandbox.inprocess import django_transport

pytestmark = pytest.mark.django_db


class Capture:
    """Transport that remembers the raw answers (to look at the envelopes themselves)."""

    def __init__(self):
        self.bodies: list[bytes] = []

    def __call__(self, url, body, headers, timeout):
        status, raw = django_transport(url, body, headers, timeout)
        self.bodies.append(raw)
        return status, raw

    @property
    def last(self) -> dict:
        return json.loads(self.bodies[-1])


@pytest.fixture
def capture(inproc):
    cap = Capture()
    with http.using_transport(cap):
        yield cap


def with_secret(shop, secret):
    shop.app_secret = secret  # in memory only: the sandbox still knows the real one
    return shop


ENVELOPES = {
    "taobao": lambda e: e["error_response"]["code"] == 25 and e["error_response"]["msg"] == "Invalid signature",
    "jd": lambda e: e["error_response"]["code"] == "15" and "zh_desc" in e["error_response"],
    "pdd": lambda e: e["error_response"]["error_code"] == 10022 and "request_id" in e["error_response"],
    "douyin": lambda e: e["code"] == 40004 and e["sub_code"] == "isv.sign-invalid" and "log_id" in e,
}


@pytest.mark.parametrize("name", ["taobao", "jd", "pdd", "douyin"])
def test_wrongly_signed_call_gets_the_platforms_error_envelope(name, shops, capture, rng):
    platform = get_platform(name)
    state = sandbox_order_create(shop=shops[name], rng=rng)
    assert platform.parse_document(platform.fetch_order_detail(shop=shops[name], channel_order_id=state["id"]),
                                   shop_code=shops[name].code).channel_order_id == state["id"]
    with pytest.raises(PlatformRejected):
        platform.fetch_order_detail(shop=with_secret(shops[name], "not-the-secret"), channel_order_id=state["id"])
    assert ENVELOPES[name](capture.last), capture.last


@pytest.mark.parametrize("name, window, code", [
    ("taobao", timedelta(days=1, seconds=1), "41"),  # end_modified - start_modified <= 1 day
    ("jd", timedelta(days=32), "66"),  # 不得相差超过1个月
    ("pdd", timedelta(minutes=30, seconds=1), "10000"),  # ≤ 30 min
])
def test_windows_the_platform_refuses_are_refused(name, window, code, shops, capture):
    platform = get_platform(name)
    end = clock.now()
    assert platform.list_changed(shop=shops[name], start=end - platform.pull_rules.max_window, end=end, page=1,
                                 page_size=10).total == 0
    with pytest.raises(PlatformRejected) as info:
        platform.list_changed(shop=shops[name], start=end - window, end=end, page=1, page_size=10)
    assert info.value.code == code
    assert "error_response" in capture.last


@pytest.mark.parametrize("name, size, first", [("taobao", 101, 1), ("jd", 51, 1), ("pdd", 101, 1), ("douyin", 101, 0)])
def test_page_sizes_the_platform_refuses_are_refused(name, size, first, shops, capture):
    platform = get_platform(name)
    end = clock.now()
    start = end - timedelta(minutes=10)
    platform.list_changed(shop=shops[name], start=start, end=end, page=first, page_size=size - 1)
    with pytest.raises(PlatformRejected):
        platform.list_changed(shop=shops[name], start=start, end=end, page=first, page_size=size)
    body = capture.last
    assert ("error_response" in body) if name != "douyin" else body["code"] == 40005


def test_taobao_history_limit_and_doudian_page_zero(shops, capture):
    end = clock.now() - timedelta(days=91)
    with pytest.raises(PlatformRejected, match="三个月"):
        get_platform("taobao").list_changed(shop=shops["taobao"], start=end - timedelta(minutes=5), end=end,
                                            page=1, page_size=10)
    with pytest.raises(PlatformRejected):
        get_platform("douyin").list_changed(shop=shops["douyin"], start=clock.now() - timedelta(minutes=5),
                                            end=clock.now(), page=-1, page_size=10)


@pytest.mark.parametrize("name, limit_key, envelope", [
    ("jd", "jd", lambda e: e["error_response"]["code"] == "72"),
    ("pdd", "pdd.order.number.list.increment.get", lambda e: e["error_response"]["error_code"] == 54001),
    ("taobao", "taobao", lambda e: e["error_response"]["code"] == 7),
    ("douyin", "douyin", lambda e: e["code"] == 40010),
])
def test_rate_limits_are_enforced(name, limit_key, envelope, shops, capture):
    platform = get_platform(name)
    end = clock.now()
    start = end - timedelta(minutes=5)
    with override_settings(LIUZHUAN_SANDBOX_RATE_LIMITS={limit_key: (3, 60.0)}):
        for _ in range(3):
            platform.list_changed(shop=shops[name], start=start, end=end, page=platform.pull_rules.first_page,
                                  page_size=10)
        # the raw call, without the client's retry
        with pytest.raises(RateLimited):
            if name == "douyin":
                platform.call(shops[name], "order.searchList", {"update_time_start": int(start.timestamp()),
                                                                 "update_time_end": int(end.timestamp()),
                                                                 "page": 0, "size": 10})
            else:
                with http.using_transport(capture):
                    original = http.with_retry
                    try:
                        http.with_retry = lambda fn, **kw: fn()
                        platform.list_changed(shop=shops[name], start=start, end=end, page=1, page_size=10)
                    finally:
                        http.with_retry = original
    assert envelope(capture.last), capture.last


def test_timestamp_and_token_are_checked(shops, capture, rng):
    state = sandbox_order_create(shop=shops["pdd"], rng=rng)
    shops["pdd"].access_token = "expired"
    with pytest.raises(PlatformRejected, match="10019"):
        get_platform("pdd").fetch_order_detail(shop=shops["pdd"], channel_order_id=state["id"])
    with clock.frozen(clock.now() + timedelta(minutes=30)):
        body = django_transport("http://testserver/sandbox/taobao/router/rest",
                                b"method=taobao.trade.fullinfo.get&app_key=12497914&timestamp=2020-01-01+00:00:00",
                                {"Content-Type": "application/x-www-form-urlencoded"}, 5)[1]
    assert json.loads(body)["error_response"]["code"] == 31


def test_sandbox_documents_look_like_the_platforms(shops, inproc):
    """Big ids survive as exact JSON numbers; receivers are masked or encrypted; money units differ."""
    r = random.Random(3)
    for name, shop in shops.items():
        platform = get_platform(name)
        for _ in range(5):
            state = sandbox_order_create(shop=shop, rng=r)
            raw = platform.fetch_order_detail(shop=shop, channel_order_id=state["id"])
            canonical = platform.parse_document(raw, shop_code=shop.code)
            assert canonical.channel_order_id == state["id"]
            assert canonical.receiver.masked
            assert canonical.goods - canonical.discount + canonical.shipping + canonical.tax == canonical.paid
            if name in ("taobao", "douyin"):
                assert state["id"].encode() in raw and len(state["id"]) == 19
