"""Sandbox JD routerjson (``/sandbox/jd/routerjson``) and the JD ``orderInfo`` document.

Methods: ``jingdong.pop.order.enSearch`` (by modified time, ``dateType=0``),
``jingdong.pop.order.enGet``, ``jingdong.pop.order.shipment``.  Rules
(research/channels.md §3.1): MD5 sign over sorted key+value with empty values
skipped, ``optional_fields`` required, window ≤ 1 month, ``page_size`` ≤ 50,
10 calls/s.  Errors: ``{"error_response": {code, zh_desc, en_desc}}`` (numeric
codes are the sandbox's choice [I]); business failures come inside the
``_responce`` envelope with ``apiResult.success=false``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from channels_adapters import clock
from channels_adapters.platforms.base import SHANGHAI

from . import common, store
from .orders import cipher, fmt, money

STATUS = {"paid": "WAIT_SELLER_STOCK_OUT", "hold": "LOCKED", "shipped": "WAIT_GOODS_RECEIVE_CONFIRM",
          "completed": "FINISHED_L", "cancelled": "TRADE_CANCELED"}
REMARK = {"WAIT_SELLER_STOCK_OUT": "等待出库", "LOCKED": "已锁定", "WAIT_GOODS_RECEIVE_CONFIRM": "等待确认收货",
          "FINISHED_L": "完成", "TRADE_CANCELED": "已取消"}
CARRIER_IDS = {"SF": "467", "YTO": "463", "ZTO": "1499", "YUNDA": "1327", "JD": "2087"}
UNSET = "0001-01-01 00:00:00"
MAX_WINDOW = timedelta(days=31)
TIMESTAMP_TOLERANCE = timedelta(minutes=10)
OK = {"success": True, "chineseErrCode": "成功", "englishErrCode": "success", "numberCode": 10100000}


def render(state: dict) -> str:
    m, r = money(state), state["receiver"]
    status = STATUS[state["stage"]]
    info = {
        "orderId": state["id"], "venderId": "10223344", "orderType": "22", "payType": "4-在线支付",
        "orderState": status, "orderStateRemark": REMARK[status],
        "orderTotalPrice": str(m["goods"]), "orderSellerPrice": str(m["goods"] - m["discount"]),
        "orderPayment": str(m["paid"]), "freightPrice": str(m["shipping"]), "sellerDiscount": str(m["discount"]),
        "balanceUsed": "0.00", "taxFee": str(m["tax"]),
        "orderStartTime": fmt(state["created"]), "paymentConfirmTime": fmt(state["paid"]) or UNSET,
        "orderEndTime": fmt(state["modified"]) if state["stage"] == "completed" else UNSET,
        "modified": fmt(state["modified"]), "pin": state["buyer"]["nick"], "open_id_buyer": state["buyer"]["id"],
        "consigneeInfo": {
            "fullname": cipher("jd", state["id"] + "n"), "fullAddress": cipher("jd", state["id"] + "a"),
            "mobile": r["phone"][:3] + "*******" + r["phone"][-1:], "telephone": "",
            "desen_mobile": hashlib.md5(r["phone"].encode()).hexdigest()[:12],
            "province": r["province"], "city": r["city"], "county": r["district"], "town": "",
            "provinceId": 1, "cityId": 72, "countyId": 2819, "townId": 0,
        },
        "itemInfoList": [
            {"skuId": x["sku_id"], "outerSkuId": x["code"], "wareId": x["sku_id"][:11], "skuName": x["title"],
             "jdPrice": x["price"], "itemTotal": str(x["qty"]), "giftPoint": "0", "newStoreId": "0"}
            for x in state["lines"]
        ],
        "orderRemark": state["memo"], "venderRemark": "", "invoiceInfo": "不需要开具发票",
        "waybill": state["tracking"], "logisticsId": CARRIER_IDS.get(state["carrier"], state["carrier"]),
        "isGlobalBuy": state["cross_border"], "presale": state["presale"],
        "idSopShipmenttype": 68, "idShipmenttype": "68", "sendpayMap": "{\"337\":\"1\"}",
        "outBoundDate": UNSET,
    }
    return json.dumps(info, ensure_ascii=False, separators=(",", ":"))


# ----------------------------------------------------------------------------- gateway


def _json(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="application/json;charset=UTF-8")


def error(code: str, zh: str, en: str) -> HttpResponse:
    return _json(json.dumps({"error_response": {"code": code, "zh_desc": zh, "en_desc": en}},
                            ensure_ascii=False))


def expected_sign(params: dict[str, str], secret: str) -> str:
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign" and params[k] not in ("", None))
    return hashlib.md5(f"{secret}{text}{secret}".encode()).hexdigest().upper()


def _time(value) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


def _check(p: dict[str, str]):
    if p.get("method") not in METHODS:
        return None, None, error("60", "API方法不存在", "Invalid method")
    shop = common.sandbox_app(channel="jd", app_key=p.get("app_key", ""))
    if shop is None:
        return None, None, error("14", "无效的app_key", "Invalid app_key")
    at = _time(p.get("timestamp", ""))
    if at is None or abs(at - clock.now()) > TIMESTAMP_TOLERANCE:
        return None, None, error("17", "时间戳错误或与服务器时间相差超过10分钟", "Invalid timestamp")
    if not hmac.compare_digest(expected_sign(p, shop.app_secret), p.get("sign", "").upper()):
        return None, None, error("15", "签名无效", "Invalid signature")
    if p.get("access_token") != shop.access_token:
        return None, None, error("19", "token已过期或者不存在，请重新授权访问", "Invalid access_token")
    if not common.allow(("jd", shop.app_key)):
        return None, None, error("72", "调用次数超过限制（10次/秒）", "Call frequency exceeded")
    try:
        business = json.loads(p.get("360buy_param_json") or "{}", parse_int=str)
    except ValueError:
        return None, None, error("66", "360buy_param_json 格式错误", "Invalid 360buy_param_json")
    if not isinstance(business, dict):
        return None, None, error("66", "360buy_param_json 格式错误", "Invalid 360buy_param_json")
    return shop, business, None


def _fields(business: dict) -> set[str] | None:
    fields = {f.strip() for f in str(business.get("optional_fields", "")).split(",") if f.strip()}
    return fields or None


def _pick(body: str, fields: set[str]) -> dict:
    info = json.loads(body)  # Python ints are exact: nothing is rounded on the way back out
    return {k: v for k, v in info.items() if k in fields or k == "orderId"}


def en_search(shop, b: dict) -> HttpResponse:
    fields = _fields(b)
    if fields is None:
        return error("66", "optional_fields 不填或者为空则请求被拒绝", "optional_fields is required")
    start, end = _time(b.get("start_date", "")), _time(b.get("end_date", ""))
    if start is None or end is None or start > end:
        return error("66", "start_date/end_date 格式为 yyyy-MM-dd HH:mm:ss", "Invalid start_date/end_date")
    if end - start > MAX_WINDOW:
        return error("66", "查询时间范围不得相差超过1个月", "The date range must not exceed one month")
    page, page_size = str(b.get("page", "1")), str(b.get("page_size", "20"))
    if not page.isdigit() or int(page) < 1:
        return error("66", "page 从 1 开始", "Invalid page")
    if not page_size.isdigit() or not 1 <= int(page_size) <= 50:
        return error("66", "page_size 最大 50", "page_size must be between 1 and 50")
    states = {s.strip() for s in str(b.get("order_state", "")).split(",") if s.strip()}
    page, page_size = int(page), int(page_size)
    total, rows = store.sandbox_documents_changed(
        platform="jd", app_key=shop.app_key, start=start, end=end, offset=(page - 1) * page_size,
        limit=page_size, predicate=(lambda s: STATUS[s["stage"]] in states) if states else None,
    )
    result = {"apiResult": OK, "orderTotal": total, "orderInfoList": [_pick(body, fields) for body in rows]}
    return _json(json.dumps({"jingdong_pop_order_enSearch_responce": {"code": "0", "searchorderinfo_result": result}},
                            ensure_ascii=False))


def en_get(shop, b: dict) -> HttpResponse:
    fields = _fields(b)
    if fields is None or not b.get("order_id"):
        return error("66", "order_id 和 optional_fields 必填", "order_id and optional_fields are required")
    body = store.sandbox_document_get(platform="jd", app_key=shop.app_key, order_id=str(b["order_id"]))
    if body is None:
        detail = {"apiResult": {"success": False, "chineseErrCode": "订单不存在", "englishErrCode": "order not exist",
                                "numberCode": 10200010}}
    else:
        detail = {"apiResult": OK, "orderInfo": _pick(body, fields)}
    return _json(json.dumps({"jingdong_pop_order_enGet_responce": {"code": "0", "orderDetailInfo": detail}},
                            ensure_ascii=False))


def shipment(shop, b: dict) -> HttpResponse:
    order_id, carrier, waybill = (str(b.get(k, "")) for k in ("order_id", "logiCoprId", "logiNo"))
    if not order_id or not carrier or not waybill:
        return error("66", "order_id, logiCoprId, logiNo 必填", "order_id, logiCoprId and logiNo are required")
    outcome = store.sandbox_order_ship(platform="jd", shop=shop, order_id=order_id, carrier=carrier,
                                       tracking_no=waybill)
    messages = {"shipped": (True, "成功", "success"), "not_found": (False, "订单不存在", "order not exist"),
                "already_shipped": (False, "订单已出库", "order already shipped"),
                "not_shippable": (False, "订单状态不允许出库", "order state does not allow shipment")}
    ok, zh, en = messages[outcome]
    result = {"success": ok, "chineseErrCode": zh, "englishErrCode": en}
    return _json(json.dumps({"jingdong_pop_order_shipment_responce": {"code": "0", "sopjosshipment_result": result}},
                            ensure_ascii=False))


METHODS = {"jingdong.pop.order.enSearch": en_search, "jingdong.pop.order.enGet": en_get,
           "jingdong.pop.order.shipment": shipment}


@csrf_exempt
def router(request: HttpRequest) -> HttpResponse:
    params = common.request_params(request)
    shop, business, failure = _check(params)
    if failure:
        return failure
    return METHODS[params["method"]](shop, business)
