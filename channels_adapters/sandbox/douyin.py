"""Sandbox Doudian open API (``/sandbox/douyin/<path>``) and the Doudian order document.

Paths: ``/order/orderDetail``, ``/order/searchList``, ``/order/logisticsAdd``.
Like the real gateway: query ``app_key, method, access_token, timestamp, v, sign,
sign_method``; body ``param_json``; answers HTTP 200 with ``{"code", "msg",
"sub_code", "sub_msg", "log_id", "data"}`` where ``code`` 10000 is success
(research/channels.md §5.1–§5.2).  ``searchList`` pages start at 0, ``size`` ≤ 100.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from channels_adapters import clock
from channels_adapters.platforms.base import SHANGHAI

from . import common, store
from .orders import CARRIERS, cipher, mask_name, mask_phone, money, unix

TIMESTAMP_TOLERANCE = 600
STATUS = {"pending": 1, "paid": 2, "refund_requested": 2, "shipped": 3, "completed": 5, "cancelled": 4,
          "refunded": 4}
TAGS = {"pending": 100, "paid": 101, "refund_requested": 200, "shipped": 102, "completed": 103,
        "cancelled": 106, "refunded": 206}


def _fen(value) -> int:
    return int(value * 100)


def render(state: dict) -> str:
    """``shop_order_detail`` (order ids, product ids as JSON numbers; money in fen)."""
    m, r = money(state), state["receiver"]
    lines = []
    for line in state["lines"]:
        after = {"none": (0, 0, 0), "requested": (6, 1, 1), "refunded": (12, 2, 3)}[line["refund"]]
        price = _fen(Decimal(line["price"]))
        lines.append({
            "order_id": int(line["line_id"]), "parent_order_id": state["id"], "sku_id": int(line["sku_id"]),
            "product_id": int(line["sku_id"]) * 1000 + 7, "out_sku_id": line["code"], "code": line["code"],
            "product_name": line["title"], "spec": [{"name": "规格", "value": "标准"}],
            "item_num": line["qty"], "origin_amount": price, "sum_amount": price * line["qty"],
            "pre_sale_type": 1 if state["presale"] else 0,
            "after_sale_info": {"after_sale_status": after[0], "after_sale_type": after[1],
                                "refund_status": after[2]},
        })
    stage = state["stage"]
    doc = {
        "order_id": int(state["id"]), "order_status": STATUS[stage],
        "main_status": 21 if stage == "refunded" else STATUS[stage], "order_type": 0,
        "biz": 21 if state["cross_border"] else 2, "b_type": 2, "shop_id": 95250, "shop_name": "流转抖音小店",
        "doudian_open_id": "1@#" + state["buyer"]["id"], "create_time": unix(state["created"]),
        "pay_time": unix(state["paid"]), "update_time": unix(state["modified"]),
        "ship_time": unix(state["shipped"]), "finish_time": 0,
        "order_amount": _fen(m["paid"]), "pay_amount": _fen(m["paid"]), "post_amount": _fen(m["shipping"]),
        "tax_amount": _fen(m["tax"]), "promotion_amount": _fen(m["discount"]),
        "encrypt_post_receiver": cipher("dy", state["id"] + "n"), "encrypt_post_tel": cipher("dy", state["id"] + "t"),
        "mask_post_receiver": mask_name(r["name"]), "mask_post_tel": mask_phone(r["phone"]),
        "post_addr": {"province": {"name": r["province"]}, "city": {"name": r["city"]},
                      "town": {"name": r["district"]}, "street": {"name": ""},
                      "encrypt_detail": cipher("dy", state["id"] + "a")},
        "buyer_words": state["memo"], "seller_words": "", "sku_order_list": lines,
        "logistics_info": [{"tracking_no": state["tracking"], "company": state["carrier"],
                            "company_name": dict(CARRIERS).get(state["carrier"], ""),
                            "ship_time": unix(state["shipped"])}] if state["tracking"] else [],
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def push_data(state: dict) -> str:
    """The ``data`` string of a push message (ids as JSON numbers, as Doudian sends them)."""
    return json.dumps({
        "p_id": int(state["id"]), "s_ids": [int(x["line_id"]) for x in state["lines"]], "shop_id": 95250,
        "order_status": STATUS[state["stage"]], "order_type": 0, "biz": 2,
        "update_time": unix(state["modified"]),
    }, separators=(",", ":"))


# ----------------------------------------------------------------------------- gateway


def _answer(code: int, msg: str, data: str = "{}", sub_code: str = "", sub_msg: str = "") -> HttpResponse:
    # ``data`` is spliced in as text: stored documents keep their exact numbers.
    head = json.dumps({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg,
                       "log_id": uuid.uuid4().hex}, ensure_ascii=False,
                      separators=(",", ":"))
    return HttpResponse(head[:-1] + ',"data":' + data + "}", content_type="application/json")


def expected_sign(*, secret: str, app_key: str, method: str, param_json: str, timestamp: str,
                  v: str, sign_method: str) -> str:
    text = (secret + "app_key" + app_key + "method" + method + "param_json" + param_json
            + "timestamp" + timestamp + "v" + v + secret)
    if sign_method == "md5":
        return hashlib.md5(text.encode("utf-8")).hexdigest()
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def _check(request: HttpRequest, method_path: str):
    q = request.GET
    app_key, method = q.get("app_key", ""), q.get("method", "")
    if method != method_path.strip("/").replace("/", "."):
        return None, _answer(40003, "method does not match the path", sub_code="isv.method-mismatch")
    shop = store.sandbox_app(channel="douyin", app_key=app_key)
    if shop is None:
        return None, _answer(30001, "app_key不存在", sub_code="isv.app-key-invalid")
    if q.get("access_token", "") != shop.access_token:
        return None, _answer(30002, "access_token已过期", sub_code="isv.access-token-expired")
    timestamp = q.get("timestamp", "")
    if not timestamp.isdigit() or abs(int(timestamp) - clock.now().timestamp()) > TIMESTAMP_TOLERANCE:
        return None, _answer(40001, "timestamp invalid", sub_code="isv.timestamp-invalid")
    param_json = request.body.decode("utf-8", "replace") or q.get("param_json", "{}")
    sign = expected_sign(secret=shop.app_secret, app_key=app_key, method=method,
                         param_json=param_json, timestamp=timestamp, v=q.get("v", ""),
                         sign_method=q.get("sign_method", "md5"))
    if not hmac.compare_digest(sign, q.get("sign", "")):
        return None, _answer(40004, "签名校验失败", sub_code="isv.sign-invalid")
    try:
        params = json.loads(param_json, parse_int=str)
    except ValueError:
        return None, _answer(40005, "param_json invalid", sub_code="isv.parameter-invalid")
    if not isinstance(params, dict):
        return None, _answer(40005, "param_json invalid", sub_code="isv.parameter-invalid")
    if not common.allow(("douyin", shop.app_key)):
        return None, _answer(40010, "请求过于频繁", sub_code="isv.request-too-frequent")
    return (shop, params), None


def order_detail(request: HttpRequest, params: dict, shop) -> HttpResponse:
    order_id = str(params.get("shop_order_id", ""))
    body = store.sandbox_document_get(platform="douyin", app_key=shop.app_key, order_id=order_id)
    if body is None:
        return _answer(50002, "订单不存在", sub_code="isv.order-not-found")
    return _answer(10000, "success", '{"shop_order_detail":' + body + "}")


def _digits(value, default: int | None = None) -> int | None:
    value = str(value if value is not None else "").strip()
    if value == "":
        return default
    return int(value) if value.lstrip("-").isdigit() else None


def search_list(request: HttpRequest, params: dict, shop) -> HttpResponse:
    start, end = _digits(params.get("update_time_start")), _digits(params.get("update_time_end"))
    page, size = _digits(params.get("page"), 0), _digits(params.get("size"), 10)
    if start is None or end is None or start > end:
        return _answer(40005, "update_time_start/update_time_end 不合法", sub_code="isv.parameter-invalid")
    if page is None or page < 0:
        return _answer(40005, "page 从 0 开始", sub_code="isv.parameter-invalid:page")
    if size is None or not 1 <= size <= 100:
        return _answer(40005, "size 取值范围 1~100", sub_code="isv.parameter-invalid:size")
    ascending = str(params.get("order_asc", "false")).lower() == "true"
    total, rows = store.sandbox_documents_changed(
        platform="douyin", app_key=shop.app_key, offset=page * size, limit=size, ascending=ascending,
        start=datetime.fromtimestamp(start, tz=SHANGHAI), end=datetime.fromtimestamp(end, tz=SHANGHAI),
    )
    data = f'{{"page":{page},"size":{size},"total":{total},"shop_order_list":[{",".join(rows)}]}}'
    return _answer(10000, "success", data)


def logistics_add(request: HttpRequest, params: dict, shop) -> HttpResponse:
    order_id, company, tracking = (str(params.get(k, "")) for k in ("order_id", "company_code", "logistics_code"))
    if not order_id or not company or not tracking:
        return _answer(40005, "order_id, company_code, logistics_code 必填", sub_code="isv.parameter-invalid")
    outcome = store.sandbox_order_ship(platform="douyin", shop=shop, order_id=order_id, carrier=company,
                                       tracking_no=tracking)
    if outcome == "not_found":
        return _answer(50002, "订单不存在", sub_code="isv.order-not-found")
    if outcome == "already_shipped":
        return _answer(50004, "订单已发货", sub_code="isv.order-already-shipped")
    if outcome == "not_shippable":
        return _answer(50004, "订单状态不允许发货", sub_code="isv.order-status-invalid")
    return _answer(10000, "success", "{}")


ROUTES = {"order/orderDetail": order_detail, "order/searchList": search_list,
          "order/logisticsAdd": logistics_add}


@csrf_exempt
def gateway(request: HttpRequest, path: str) -> HttpResponse:
    handler = ROUTES.get(path.strip("/"))
    if handler is None:
        return _answer(40002, f"unknown API {path}", sub_code="isv.method-not-found")
    checked, error = _check(request, path)
    if error:
        return error
    shop, params = checked
    return handler(request, params, shop)
