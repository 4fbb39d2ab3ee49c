"""Signing schemes, checked against values computed by hand from the research file's formulas."""

from __future__ import annotations

import base64
import hashlib
import hmac

from channels_adapters.platforms import get_platform
from channels_adapters.platforms.pdd import PDD
from channels_adapters.platforms.taobao import Taobao

PARAMS = {"method": "taobao.trade.fullinfo.get", "app_key": "12497914", "timestamp": "2026-11-11 10:00:00",
          "v": "2.0", "format": "json", "sign_method": "md5", "session": "tok", "fields": "tid,status",
          "tid": "3912457786025509836", "sign": "ignored"}
CONCAT = ("app_key12497914fieldstid,statusformatjsonmethodtaobao.trade.fullinfo.getsessiontok"
          "sign_methodmd5tid3912457786025509836timestamp2026-11-11 10:00:00v2.0")


def test_top_md5_and_hmac():
    top = get_platform("taobao")
    assert top.sign_request(PARAMS, secret="S") == hashlib.md5(f"S{CONCAT}S".encode()).hexdigest().upper()
    assert top.sign_request(PARAMS, secret="S", sign_method="hmac") == hmac.new(
        b"S", CONCAT.encode(), hashlib.md5).hexdigest().upper()
    assert top.sign_request(PARAMS, secret="S", sign_method="hmac-sha256") == hmac.new(
        b"S", CONCAT.encode(), hashlib.sha256).hexdigest().upper()


def test_jd_skips_empty_values_and_pdd_signs_every_param():
    params = {"method": "jingdong.pop.order.enGet", "app_key": "k", "access_token": "", "v": "2.0",
              "360buy_param_json": '{"order_id":"289912345678"}', "timestamp": "2026-11-11 10:00:00"}
    concat = ('360buy_param_json{"order_id":"289912345678"}app_keykmethodjingdong.pop.order.enGet'
              "timestamp2026-11-11 10:00:00v2.0")
    assert get_platform("jd").sign_request(params, secret="s") == hashlib.md5(
        f"s{concat}s".encode()).hexdigest().upper()
    pdd = {"type": "pdd.order.information.get", "client_id": "c", "timestamp": "1764000000",
           "data_type": "JSON", "order_sn": "231125-538274916305842"}
    pconcat = "client_idcdata_typeJSONorder_sn231125-538274916305842timestamp1764000000typepdd.order.information.get"
    assert get_platform("pdd").sign_request(pdd, secret="x") == hashlib.md5(
        f"x{pconcat}x".encode()).hexdigest().upper()


def test_push_connect_signs():
    assert Taobao.tmc_connect_sign(app_key="k", group_name="default", timestamp_ms="1700000000123",
                                   secret="s") == hashlib.md5(
        b"sapp_keykgroup_namedefaulttimestamp1700000000123s").hexdigest().upper()
    assert PDD.pmc_connect_sign(client_id="c", timestamp_ms="1700000000123", secret="s") == base64.b64encode(
        hashlib.md5(b"c1700000000123s").hexdigest().encode()).decode()


def test_doudian_api_sign_and_compact_sorted_param_json():
    dy = get_platform("douyin")
    pj = dy.param_json({"shop_order_id": "4781320682406083640", "a": "中文"})
    assert pj == '{"a":"中文","shop_order_id":"4781320682406083640"}'
    params = {"app_key": "7012", "method": "order.orderDetail", "param_json": pj, "timestamp": "1764000000",
              "v": "2"}
    pattern = f"Sapp_key7012methodorder.orderDetailparam_json{pj}timestamp1764000000v2S"
    assert dy.sign_request(params, secret="S") == hmac.new(b"S", pattern.encode(), hashlib.sha256).hexdigest()
    assert dy.sign_request(params, secret="S", sign_method="md5") == hashlib.md5(pattern.encode()).hexdigest()


def test_doudian_push_verification():
    dy = get_platform("douyin")
    body = b'[{"tag":"100","msg_id":"1","data":"{}"}]'
    sign = hashlib.md5(b"k" + body + b"s").hexdigest()
    assert dy.verify_push(body=body, headers={"app-id": "k", "event-sign": sign.upper()}, app_key="k", secret="s")
    assert not dy.verify_push(body=body + b" ", headers={"app-id": "k", "event-sign": sign}, app_key="k",
                              secret="s")
    assert not dy.verify_push(body=body, headers={"app-id": "k", "event-sign": sign}, app_key="k", secret="")
    mac = hmac.new(b"s", b"k" + body + b"s", hashlib.sha256).hexdigest()
    assert dy.verify_push(body=body, headers={"app-id": "k", "event-sign": mac, "sign-method": "hmac-sha256"},
                          app_key="k", secret="s")
