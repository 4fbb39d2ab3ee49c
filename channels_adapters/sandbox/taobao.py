"""Sandbox TOP router (``/sandbox/taobao/router/rest``) and the Taobao trade document.

Methods: ``taobao.trade.fullinfo.get``, ``taobao.trades.sold.increment.get``,
``taobao.tmc.messages.consume`` / ``confirm``, ``taobao.logistics.offline.send``.
Rules enforced (research/channels.md §2.1–§2.5): TOP signature (md5 / hmac /
hmac-sha256, checked with the sandbox's own code), timestamp within 10 minutes,
session, increment window ≤ 1 day and within 3 months, ``page_size`` 1–100, the
default ``type`` filter that hides trade types not asked for, flow control.
Errors come back as HTTP 200 ``{"error_response": {code, msg, sub_code, sub_msg,
request_id}}`` like TOP's (numeric codes as TOP documents them [I]).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from channels_adapters import clock
from channels_adapters.platforms.base import SHANGHAI

from . import common, store
from .orders import fmt, mask_name, money

STATUS = {
    "pending": "WAIT_BUYER_PAY", "paid": "WAIT_SELLER_SEND_GOODS", "hold": "PAID_FORBID_CONSIGN",
    "refund_requested": "WAIT_SELLER_SEND_GOODS", "shipped": "WAIT_BUYER_CONFIRM_GOODS",
    "delivered": "TRADE_BUYER_SIGNED", "completed": "TRADE_FINISHED",
    "cancelled": "TRADE_CLOSED_BY_TAOBAO", "refunded": "TRADE_CLOSED",
}
LINE_REFUND = {"none": "NO_REFUND", "requested": "WAIT_SELLER_AGREE", "refunded": "SUCCESS"}
TOPICS = {
    "pending": "taobao_trade_TradeCreate", "paid": "taobao_trade_TradeBuyerPay",
    "hold": "taobao_trade_TradeChanged", "refund_requested": "taobao_refund_RefundCreated",
    "shipped": "taobao_trade_TradeSellerShip", "delivered": "taobao_trade_TradeChanged",
    "completed": "taobao_trade_TradeSuccess", "cancelled": "taobao_trade_TradeClose",
    "refunded": "taobao_refund_RefundSuccess",
}
DEFAULT_TYPES = {"guarantee_trade", "auto_delivery", "ec", "cod", "step"}
TIMESTAMP_TOLERANCE = timedelta(minutes=10)
REDELIVER_AFTER = timedelta(seconds=60)  # unconfirmed TMC messages come back after this


def render(state: dict) -> str:
    """``trade`` object of ``taobao.trade.fullinfo.get`` (tid and oids as JSON numbers)."""
    m, r = money(state), state["receiver"]
    orders = []
    for line in state["lines"]:
        orders.append({
            "oid": int(line["line_id"]), "oid_str": line["line_id"],  # the fake platform writes numbers
            "num_iid": int(line["sku_id"][:12]), "sku_id": line["sku_id"], "outer_iid": line["code"].split("-")[0],
            "outer_sku_id": line["code"], "title": line["title"], "num": line["qty"], "price": line["price"],
            "total_fee": str(Decimal(line["price"]) * line["qty"]), "status": STATUS[state["stage"]],
            "refund_status": LINE_REFUND[line["refund"]],
            "logistics_company": state["carrier"], "invoice_no": state["tracking"],
        })
    trade = {
        "tid": int(state["id"]), "tid_str": state["id"], "status": STATUS[state["stage"]],
        "type": "step" if state["presale"] else "fixed",
        "buyer_nick": state["buyer"]["nick"], "buyer_open_uid": state["buyer"]["id"],
        "seller_nick": "流转旗舰店", "created": fmt(state["created"]), "pay_time": fmt(state["paid"]),
        "consign_time": fmt(state["shipped"]), "modified": fmt(state["modified"]),
        "total_fee": str(m["goods"]), "post_fee": str(m["shipping"]), "discount_fee": str(m["discount"]),
        "payment": str(m["paid"]), "order_tax_fee": str(m["tax"]),
        "receiver_name": mask_name(r["name"]), "receiver_state": r["province"], "receiver_city": r["city"],
        "receiver_district": r["district"], "receiver_address": r["address"][:2] + "***路**号",
        "receiver_mobile": "*******" + r["phone"][-4:], "receiver_zip": "000000",
        "oaid": hashlib.md5(state["id"].encode()).hexdigest(), "buyer_message": state["memo"],
        "orders": {"order": orders},
    }
    if state["presale"]:
        trade["step_trade_status"] = "FRONT_PAID_FINAL_NOPAID" if state["stage"] == "pending" else "FRONT_PAID_FINAL_PAID"
    if state["cross_border"]:
        trade["cross_bonded_declare"] = True
    return json.dumps(trade, ensure_ascii=False, separators=(",", ":"))


def message_content(state: dict) -> str:
    """TMC message content (a JSON string inside the message, thin: ids and a few fields)."""
    return json.dumps({
        "tid": int(state["id"]), "oid": int(state["lines"][0]["line_id"]),
        "buyer_nick": state["buyer"]["nick"], "seller_nick": "流转旗舰店",
        "payment": str(money(state)["paid"]), "type": "step" if state["presale"] else "fixed",
        "status": STATUS[state["stage"]],
    }, ensure_ascii=False, separators=(",", ":"))


# ----------------------------------------------------------------------------- gateway


def _json(payload: dict) -> HttpResponse:
    return HttpResponse(json.dumps(payload, ensure_ascii=False), content_type="application/json;charset=UTF-8")


def error(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> HttpResponse:
    body = {"code": code, "msg": msg, "request_id": uuid.uuid4().hex[:13]}
    if sub_code:
        body.update(sub_code=sub_code, sub_msg=sub_msg)
    return _json({"error_response": body})


def expected_sign(params: dict[str, str], secret: str, method: str) -> str:
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")
    if method == "md5":
        return hashlib.md5(f"{secret}{text}{secret}".encode()).hexdigest().upper()
    algo = hashlib.md5 if method == "hmac" else hashlib.sha256
    return hmac.new(secret.encode(), text.encode(), algo).hexdigest().upper()


def _time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except (TypeError, ValueError):
        return None


def _check(p: dict[str, str]):
    if not p.get("method"):
        return None, error(21, "Missing method")
    if p["method"] not in METHODS:
        return None, error(22, "Invalid method")
    if not p.get("app_key"):
        return None, error(28, "Missing app key")
    shop = common.sandbox_app(channel="taobao", app_key=p["app_key"])
    if shop is None:
        return None, error(29, "Invalid app key")
    if not p.get("timestamp"):
        return None, error(30, "Missing timestamp")
    at = _time(p["timestamp"])
    if at is None or abs(at - clock.now()) > TIMESTAMP_TOLERANCE:
        return None, error(31, "Invalid timestamp", "isv.invalid-timestamp", "时间戳误差超过10分钟")
    if not p.get("sign"):
        return None, error(24, "Missing signature")
    sign_method = p.get("sign_method", "md5")
    if sign_method not in ("md5", "hmac", "hmac-sha256"):
        return None, error(25, "Invalid signature", "isv.invalid-sign-method")
    if not hmac.compare_digest(expected_sign(p, shop.app_secret, sign_method), p["sign"].upper()):
        return None, error(25, "Invalid signature")
    if METHODS[p["method"]][1] and p.get("session") != shop.access_token:
        return None, error(27, "Invalid session", "session-expired", "SessionKey非法")
    if not common.allow(("taobao", shop.app_key), (p["method"], shop.app_key)):
        return None, error(7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
                           "This ban will last for 1 more seconds")
    return shop, None


def fullinfo_get(p, shop) -> HttpResponse:
    if not p.get("fields") or not p.get("tid"):
        return error(40, "Missing required arguments:" + ("fields" if not p.get("fields") else "tid"))
    body = store.sandbox_document_get(platform="taobao", app_key=shop.app_key, order_id=p["tid"])
    if body is None:
        return error(15, "Remote service error", "isv.trade-not-exist", "交易不存在")
    return HttpResponse('{"trade_fullinfo_get_response":{"trade":' + body + "}}",
                        content_type="application/json;charset=UTF-8")


def _int(value: str | None, default: int) -> int | None:
    if value in (None, ""):
        return default
    return int(value) if str(value).isdigit() else None


def increment_get(p, shop) -> HttpResponse:
    if not p.get("fields") or not p.get("start_modified") or not p.get("end_modified"):
        return error(40, "Missing required arguments:fields,start_modified,end_modified")
    start, end = _time(p["start_modified"]), _time(p["end_modified"])
    if start is None or end is None or start > end:
        return error(41, "Invalid arguments:start_modified", "isv.invalid-parameter",
                     "start_modified/end_modified 格式为 yyyy-MM-dd HH:mm:ss 且开始不晚于结束")
    if end - start > timedelta(days=1):
        return error(41, "Invalid arguments:end_modified", "isv.invalid-parameter:time-range",
                     "一次请求只能查询时间跨度为一天的增量交易记录，即end_modified-start_modified<=1天")
    if start < clock.now() - timedelta(days=90):
        return error(41, "Invalid arguments:start_modified", "isv.invalid-parameter:history",
                     "只能获取到三个月以内的交易信息")
    page_no, page_size = _int(p.get("page_no"), 1), _int(p.get("page_size"), 40)
    if page_no is None or page_no < 1:
        return error(41, "Invalid arguments:page_no", "isv.invalid-parameter:page_no")
    if page_size is None or not 1 <= page_size <= 100:
        return error(41, "Invalid arguments:page_size", "isv.invalid-parameter:page_size",
                     "page_size 取值范围 1~100")
    types = set(filter(None, p.get("type", "").split(","))) or DEFAULT_TYPES
    total, rows = store.sandbox_documents_changed(
        platform="taobao", app_key=shop.app_key, start=start, end=end,
        offset=(page_no - 1) * page_size, limit=page_size,
        predicate=lambda state: ("step" if state["presale"] else "fixed") in types,
    )
    wanted = set(p["fields"].split(","))
    trades = [{k: v for k, v in json.loads(body).items() if k in wanted} for body in rows]
    out: dict = {"has_next": page_no * page_size < total}
    if p.get("use_has_next") != "true":
        out["total_results"] = total
    if trades:
        out["trades"] = {"trade": trades}
    return _json({"trades_sold_increment_get_response": out})


def tmc_consume(p, shop) -> HttpResponse:
    quantity = _int(p.get("quantity"), 100)
    if quantity is None or not 1 <= quantity <= 200:
        return error(41, "Invalid arguments:quantity", "isv.invalid-parameter:quantity", "quantity 取值范围 1~200")
    rows = store.sandbox_messages_take(platform="taobao", app_key=shop.app_key, limit=quantity,
                                       redeliver_after=REDELIVER_AFTER)
    messages = [
        {"id": int(row.msg_id), "topic": row.topic, "content": row.content,
         "pub_time": fmt(row.available_at.isoformat()), "pub_app_key": shop.app_key,
         "user_id": 174265168, "user_nick": "流转旗舰店"}
        for row in rows
    ]
    out = {"messages": {"tmc_message": messages}} if messages else {}
    return _json({"tmc_messages_consume_response": out})


def tmc_confirm(p, shop) -> HttpResponse:
    done = [x for x in p.get("s_message_ids", "").split(",") if x.strip()]
    failed = [x for x in p.get("f_message_ids", "").split(",") if x.strip()]
    if not done and not failed:
        return error(40, "Missing required arguments:s_message_ids")
    store.sandbox_messages_confirm(platform="taobao", app_key=shop.app_key, msg_ids=done, failed=failed)
    return _json({"tmc_messages_confirm_response": {"is_success": True}})


def offline_send(p, shop) -> HttpResponse:
    if not p.get("tid") or not p.get("out_sid") or not p.get("company_code"):
        return error(40, "Missing required arguments:tid,out_sid,company_code")
    outcome = store.sandbox_order_ship(platform="taobao", shop=shop, order_id=p["tid"],
                                       carrier=p["company_code"], tracking_no=p["out_sid"])
    if outcome == "not_found":
        return error(15, "Remote service error", "isv.logistics-offline-service-error:B01", "交易不存在")
    if outcome == "already_shipped":
        return error(15, "Remote service error", "isv.logistics-offline-service-error:B04", "订单已发货")
    if outcome == "not_shippable":
        return error(15, "Remote service error", "isv.logistics-offline-service-error:B27",
                     "交易状态不允许发货")
    return _json({"logistics_offline_send_response": {"shipping": {"is_success": True}}})


# method → (handler, needs a session)
METHODS = {
    "taobao.trade.fullinfo.get": (fullinfo_get, True),
    "taobao.trades.sold.increment.get": (increment_get, True),
    "taobao.tmc.messages.consume": (tmc_consume, False),
    "taobao.tmc.messages.confirm": (tmc_confirm, False),
    "taobao.logistics.offline.send": (offline_send, True),
}


@csrf_exempt
def router(request: HttpRequest) -> HttpResponse:
    params = common.request_params(request)
    shop, failure = _check(params)
    if failure:
        return failure
    return METHODS[params["method"]][0](params, shop)
