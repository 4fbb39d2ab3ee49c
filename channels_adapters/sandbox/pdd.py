"""Sandbox PDD router (``/sandbox/pdd/api/router``) and the PDD ``order_info`` document.

Types: ``pdd.order.information.get``, ``pdd.order.number.list.increment.get``,
``pdd.logistics.online.send``.  Rules (research/channels.md §4.1, §4.3): MD5 sign
over all sorted key+value, increment window ≤ 30 min within 3 months,
``page_size`` ≤ 100, per-shop flow control (3000 / 60 s on the increment list).
A change shows in the increment list only after an index lag of up to 150 s —
hence PDD's advice to keep the window end 3 minutes behind.  Money is yuan as JSON
numbers (``0.0``) as in the doc example.  Errors: ``{"error_response":
{error_code, error_msg, sub_code, sub_msg, request_id}}`` (codes other than
10001 are the sandbox's choice [I]).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from channels_adapters import clock
from channels_adapters.platforms.base import SHANGHAI

from . import common, store
from .orders import cipher, fmt, mask_name, mask_phone, money

MAX_WINDOW = timedelta(minutes=30)
TIMESTAMP_TOLERANCE = 600
CARRIER_IDS = {"SF": 44, "YTO": 85, "ZTO": 115, "YUNDA": 121, "JD": 120}


def _order_status(stage: str) -> int:
    return {"shipped": 2, "delivered": 3}.get(stage, 1)


def render(state: dict) -> str:
    m, r, stage = money(state), state["receiver"], state["stage"]
    awaiting = stage in ("paid", "refund_requested")
    doc = {
        "order_sn": state["id"], "order_status": _order_status(stage),
        "refund_status": {"refund_requested": 2, "refunded": 4}.get(stage, 1),
        "confirm_status": {"pending": 0, "cancelled": 2}.get(stage, 1),
        "group_status": 0 if stage == "hold" else 1, "risk_control_status": 0,
        "trade_type": 1 if state["presale"] else 0, "is_pre_sale": 1 if state["presale"] else 0,
        "after_sales_status": 0, "created_time": fmt(state["created"]), "confirm_time": fmt(state["paid"]),
        "pay_time": fmt(state["paid"]), "updated_at": fmt(state["modified"]),
        "last_ship_time": fmt(state["paid"]), "shipping_time": fmt(state["shipped"]), "receive_time": "",
        "goods_amount": float(m["goods"]), "discount_amount": float(m["discount"]),
        "postage": float(m["shipping"]), "pay_amount": float(m["paid"]), "capital_free_discount": 0.0,
        "receiver_name": cipher("pdd", state["id"] + "n") if awaiting else "",
        "receiver_phone": cipher("pdd", state["id"] + "t") if awaiting else "",
        "receiver_address": cipher("pdd", state["id"] + "a") if awaiting else "",
        "receiver_name_mask": mask_name(r["name"]), "receiver_phone_mask": mask_phone(r["phone"]),
        "receiver_address_mask": r["address"][:2] + "**号", "country": "中国", "province": r["province"],
        "city": r["city"], "town": r["district"], "address": "",
        "buyer_memo": state["memo"], "remark": "", "invoice_status": 0,
        "tracking_number": state["tracking"], "logistics_id": CARRIER_IDS.get(state["carrier"], 0),
        "inner_transaction_id": ("XP" + state["id"].replace("-", "")) if state["cross_border"] else "",
        "item_list": [
            {"goods_id": int(x["sku_id"][:12]), "sku_id": int(x["sku_id"]), "outer_id": x["code"],
             "outer_goods_id": x["code"].split("-")[0], "goods_name": x["title"], "goods_spec": "标准",
             "goods_count": x["qty"], "goods_price": float(x["price"])}
            for x in state["lines"]
        ],
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


# ----------------------------------------------------------------------------- gateway


def _json(payload: dict) -> HttpResponse:
    return HttpResponse(json.dumps(payload, ensure_ascii=False), content_type="application/json;charset=UTF-8")


def error(code: int, msg: str, sub_msg: str = "", sub_code: str | None = None) -> HttpResponse:
    return _json({"error_response": {"error_code": code, "error_msg": msg, "sub_msg": sub_msg,
                                     "sub_code": sub_code, "request_id": uuid.uuid4().hex[:17]}})


def expected_sign(params: dict[str, str], secret: str) -> str:
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")
    return hashlib.md5(f"{secret}{text}{secret}".encode()).hexdigest().upper()


def _check(p: dict[str, str]):
    for name in ("type", "client_id", "timestamp", "sign"):
        if not p.get(name):
            return None, error(10001, f"公共参数错误:{name}")
    if p["type"] not in TYPES:
        return None, error(10003, "API不存在", p["type"])
    shop = common.sandbox_app(channel="pdd", app_key=p["client_id"])
    if shop is None:
        return None, error(10016, "client_id不存在")
    if not p["timestamp"].isdigit() or abs(int(p["timestamp"]) - clock.now().timestamp()) > TIMESTAMP_TOLERANCE:
        return None, error(10018, "timestamp已过期")
    if not hmac.compare_digest(expected_sign(p, shop.app_secret), p["sign"].upper()):
        return None, error(10022, "签名错误", "sign不匹配")
    if p.get("access_token") != shop.access_token:
        return None, error(10019, "access_token已过期")
    if not common.allow(("pdd", shop.access_token), (p["type"], shop.access_token)):
        return None, error(54001, "接口限流", "当前接口调用超过店铺限流，请稍后重试")
    return shop, None


def _int(value, default: int | None = None) -> int | None:
    value = str(value if value is not None else "").strip()
    if value == "":
        return default
    return int(value) if value.isdigit() else None


def information_get(p, shop) -> HttpResponse:
    if not p.get("order_sn"):
        return error(10000, "参数错误", "order_sn 必填")
    body = store.sandbox_document_get(platform="pdd", app_key=shop.app_key, order_id=p["order_sn"])
    if body is None:
        return error(20005, "订单不存在", p["order_sn"])
    return HttpResponse('{"order_info_get_response":{"order_info":' + body + "}}",
                        content_type="application/json;charset=UTF-8")


def increment_get(p, shop) -> HttpResponse:
    start, end = _int(p.get("start_updated_at")), _int(p.get("end_updated_at"))
    if start is None or end is None or start >= end:
        return error(10000, "参数错误", "start_updated_at/end_updated_at 必填且开始早于结束")
    if end - start > MAX_WINDOW.total_seconds():
        return error(10000, "参数错误", "开始时间和结束时间间隔不能超过30分钟")
    if start < clock.now().timestamp() - 90 * 86400:
        return error(10000, "参数错误", "只能查询三个月内的订单")
    page, page_size = _int(p.get("page"), 1), _int(p.get("page_size"), 100)
    if page is None or page < 1:
        return error(10000, "参数错误", "page 从 1 开始")
    if page_size is None or not 1 <= page_size <= 100:
        return error(10000, "参数错误", "page_size 最大 100")
    order_status, refund_status = _int(p.get("order_status"), 5), _int(p.get("refund_status"), 5)
    if order_status not in (1, 2, 3, 5) or refund_status not in (1, 2, 3, 4, 5):
        return error(10000, "参数错误", "order_status 1/2/3/5, refund_status 1-5")

    def wanted(state: dict) -> bool:
        refund = {"refund_requested": 2, "refunded": 4}.get(state["stage"], 1)
        return ((order_status == 5 or _order_status(state["stage"]) == order_status)
                and (refund_status == 5 or refund == refund_status))

    total, rows = store.sandbox_documents_changed(
        platform="pdd", app_key=shop.app_key, offset=(page - 1) * page_size, limit=page_size,
        start=datetime.fromtimestamp(start, tz=SHANGHAI), end=datetime.fromtimestamp(end, tz=SHANGHAI),
        predicate=None if order_status == refund_status == 5 else wanted,
    )
    text = (f'{{"order_sn_increment_get_response":{{"total_count":{total},'
            f'"has_next":{"true" if page * page_size < total else "false"},"order_sn_list":[{",".join(rows)}]}}}}')
    return HttpResponse(text, content_type="application/json;charset=UTF-8")


def online_send(p, shop) -> HttpResponse:
    if not p.get("order_sn") or not p.get("logistics_id") or not p.get("tracking_number"):
        return error(10000, "参数错误", "order_sn, logistics_id, tracking_number 必填")
    outcome = store.sandbox_order_ship(platform="pdd", shop=shop, order_id=p["order_sn"],
                                       carrier=p["logistics_id"], tracking_no=p["tracking_number"])
    if outcome == "not_found":
        return error(20005, "订单不存在", p["order_sn"])
    if outcome == "already_shipped":
        return error(20010, "订单已发货", "order already shipped", "order_shipped")
    if outcome == "not_shippable":
        return error(20011, "订单状态不允许发货", "order status does not allow shipment", "order_status_invalid")
    return _json({"logistics_online_send_response": {"is_success": True}})


TYPES = {"pdd.order.information.get": information_get, "pdd.order.number.list.increment.get": increment_get,
         "pdd.logistics.online.send": online_send}


@csrf_exempt
def router(request: HttpRequest) -> HttpResponse:
    params = common.request_params(request)
    shop, failure = _check(params)
    if failure:
        return failure
    return TYPES[params["type"]](params, shop)
