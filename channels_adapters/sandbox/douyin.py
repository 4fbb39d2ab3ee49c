"""Sandbox Doudian open API (``/sandbox/douyin/<path>``), e.g. ``/order/orderDetail``.

Like the real gateway: query ``app_key, method, access_token, timestamp, v, sign,
sign_method``; body ``param_json``; answers HTTP 200 with ``{"code", "msg",
"sub_code", "sub_msg", "log_id", "data"}`` where ``code`` 10000 is success.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from . import store

TIMESTAMP_TOLERANCE = 600


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
    if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > TIMESTAMP_TOLERANCE:
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
    return (shop, params), None


def order_detail(request: HttpRequest, params: dict, shop) -> HttpResponse:
    order_id = str(params.get("shop_order_id", ""))
    body = store.sandbox_document_get(platform="douyin", app_key=shop.app_key, order_id=order_id)
    if body is None:
        return _answer(50002, "订单不存在", sub_code="isv.order-not-found")
    return _answer(10000, "success", '{"shop_order_detail":' + body + "}")


ROUTES = {"order/orderDetail": order_detail}


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
