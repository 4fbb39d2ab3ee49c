"""JD (JOS / POP): ``jingdong.pop.order.enGet`` / ``get`` documents and routerjson signing.

Facts: research/channels.md §1.2 (orderState), §3.1 (envelope ``_responce``, sign),
§3.2 (fields).  Money is yuan strings; ``0001-01-01 00:00:00`` means "not set".
"""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import timedelta

from django.utils.translation import gettext

from orders.canonical import CanonicalBuyer, CanonicalLine, CanonicalOrder, CanonicalReceiver

from . import base as b
from . import http
from .registry import GatewayError, Platform, register
from .signing import top_sign

STATUS = {
    "WAIT_SELLER_STOCK_OUT": ("paid", ""),
    "WAIT_SELLER_DELIVERY": ("paid", ""),  # 海外购: awaiting domestic shipment
    "WAIT_SEND_CODE": ("paid", ""),  # virtual goods
    "SEND_TO_DISTRIBUTION_CENER": ("shipped", ""),  # sic
    "DISTRIBUTION_CENTER_RECEIVED": ("shipped", ""),
    "WAIT_GOODS_RECEIVE_CONFIRM": ("shipped", ""),
    "RECEIPTS_CONFIRM": ("completed", ""),
    "FINISHED_L": ("completed", ""),
    "TRADE_CANCELED": ("cancelled", ""),
    "LOCKED": ("on_hold", "channel_hold"),
    "PAUSE": ("on_hold", "channel_hold"),
    "POP_ORDER_PAUSE": ("on_hold", "channel_hold"),
}
NO_INVOICE = {"", "不需要开具发票", "不开发票"}
ENVELOPES = ("jingdong_pop_order_enGet_responce", "jingdong_pop_order_get_responce",
             "jingdong_pop_order_enget_responce")


# optional_fields is required by enSearch/enGet ("不填或者为空则请求被拒绝"): what the parser reads.
OPTIONAL_FIELDS = ("orderId,venderId,orderType,payType,orderState,orderStateRemark,orderTotalPrice,"
                   "orderSellerPrice,orderPayment,freightPrice,sellerDiscount,balanceUsed,taxFee,orderStartTime,"
                   "paymentConfirmTime,orderEndTime,modified,pin,open_id,open_id_buyer,consigneeInfo,itemInfoList,"
                   "orderRemark,venderRemark,invoiceInfo,invoiceCode,invoiceEasyInfo,waybill,logisticsId,"
                   "isGlobalBuy,presale,isPresale")
ALL_STATES = ",".join(STATUS)
FMT = "%Y-%m-%d %H:%M:%S"


@register
class JD(Platform):
    name = "jd"
    channel = "jd"
    envelope_keys = ENVELOPES
    # ≤ 1 month per call, page_size ≤ 50, 10 calls/s (§3.1).  Paged backwards all the same:
    # an order modified while we page would otherwise shift onto a page already read.
    pull_rules = http.PullRules(max_window=timedelta(hours=6), page_size=50, first_page=1,
                                backwards=True, calls_per_second=8)

    def unwrap(self, document: dict) -> dict:
        for key in ENVELOPES:
            if key in document:
                document = b.obj(document[key], key)
                break
        for key in ("orderDetailInfo", "orderInfo"):
            if key in document and isinstance(document[key], dict):
                document = document[key]
        if "orderId" not in document:
            raise b.fail("orderInfo.orderId", gettext("is required (is this a JD order document?)"))
        return document

    def to_canonical(self, o: dict, *, shop_code: str) -> CanonicalOrder:
        order_id = b.ident(o.get("orderId"), "orderId", required=True)
        raw_status = b.code(o.get("orderState"), "orderState")
        if raw_status not in STATUS:
            message = gettext("unknown JD order state %(status)r") % {"status": raw_status}
            raise b.fail("orderState", message)
        status, hold = STATUS[raw_status]
        paid_at = b.shanghai_time(o.get("paymentConfirmTime"), "paymentConfirmTime")

        lines = []
        for i, item in enumerate(b.array(o.get("itemInfoList"), "itemInfoList"), start=1):
            f = f"itemInfoList[{i - 1}]"
            item = b.obj(item, f)
            quantity = b.integer(item.get("itemTotal"), f"{f}.itemTotal", default=0)
            if quantity <= 0:
                raise b.fail(f"{f}.itemTotal", gettext("must be a positive integer"))
            price = b.yuan(item.get("jdPrice"), f"{f}.jdPrice", default=None)
            sku_id = b.ident(item.get("skuId"), f"{f}.skuId")
            lines.append(CanonicalLine(
                quantity=quantity,
                unit_price=price,
                amount=b.line_amount(price, quantity),
                title=b.text(item.get("skuName"), f"{f}.skuName", max_length=1000)[:255],
                sku=b.text(item.get("outerSkuId"), f"{f}.outerSkuId") or None,
                channel_sku_id=sku_id,
                channel_line_id=sku_id,  # JD has no line id: one line per SKU
            ))
        if not lines:
            raise b.fail("itemInfoList", gettext("an order needs at least one item"))

        goods = b.yuan(o.get("orderTotalPrice"), "orderTotalPrice", default=None)
        shipping = b.yuan(o.get("freightPrice"), "freightPrice")
        tax = b.yuan(o.get("taxFee"), "taxFee")
        # orderPayment = 货款 − 用户优惠 − 余额 + 运费 + 税费; balance is the buyer's money too.
        paid = b.yuan(o.get("orderPayment"), "orderPayment", default=None) + b.yuan(
            o.get("balanceUsed"), "balanceUsed"
        )
        goods, discount = b.balance(goods=goods, shipping=shipping, tax=tax, paid=paid)
        refund = "refunded" if status == "cancelled" and paid_at else "none"
        waybill = re.split(r"[|,]", b.text(o.get("waybill"), "waybill"))[0].strip()
        return CanonicalOrder(
            shop_code=shop_code,
            channel=self.channel,
            channel_order_id=order_id,
            status=status,
            channel_status=raw_status,
            channel_modified_at=b.shanghai_time(o.get("modified"), "modified"),
            channel_created_at=b.shanghai_time(o.get("orderStartTime"), "orderStartTime"),
            hold_reason=hold,
            refund_status=refund,
            buyer=CanonicalBuyer(
                channel_buyer_id=b.first(
                    b.ident(o.get("open_id_buyer"), "open_id_buyer", max_length=128),
                    b.ident(o.get("open_id"), "open_id", max_length=128),
                    b.text(o.get("pin"), "pin", max_length=128),
                ),
                nick=b.text(o.get("pin"), "pin", max_length=128),
            ),
            receiver=self._receiver(b.obj(o.get("consigneeInfo"), "consigneeInfo", required=False)),
            goods=goods,
            discount=discount,
            shipping=shipping,
            tax=tax,
            paid=paid,
            presale=b.truthy(o.get("presale")) or b.truthy(o.get("isPresale")),
            cross_border=raw_status == "WAIT_SELLER_DELIVERY" or tax > 0
            or b.truthy(o.get("isGlobalBuy")),
            buyer_message=b.text(o.get("orderRemark"), "orderRemark"),
            seller_memo=b.text(o.get("venderRemark"), "venderRemark"),
            invoice_request=self._invoice(o),
            paid_at=paid_at,
            promised_ship_by=None,
            carrier=b.ident(o.get("logisticsId"), "logisticsId")[:32] if waybill else "",
            tracking_no=waybill[:64],
            lines=tuple(lines),
        )

    @staticmethod
    def _receiver(c: dict) -> CanonicalReceiver:
        name = b.text(c.get("fullname"), "consigneeInfo.fullname")
        phone = b.first(b.text(c.get("mobile"), "consigneeInfo.mobile"),
                        b.text(c.get("telephone"), "consigneeInfo.telephone"))
        address = b.text(c.get("fullAddress"), "consigneeInfo.fullAddress")
        return CanonicalReceiver(
            name=name[:255], phone=phone[:255],
            province=b.text(c.get("province"), "consigneeInfo.province")[:64],
            city=b.text(c.get("city"), "consigneeInfo.city")[:64],
            district=b.text(c.get("county"), "consigneeInfo.county")[:64],
            address=address,
            masked=any(b.is_masked(v) for v in (name, phone, address)),
        )

    @staticmethod
    def _invoice(o: dict) -> dict | None:
        info = b.text(o.get("invoiceInfo"), "invoiceInfo")
        easy = o.get("invoiceEasyInfo") if isinstance(o.get("invoiceEasyInfo"), dict) else {}
        if info in NO_INVOICE and not easy.get("invoiceTitle"):
            return None
        out = {
            "info": info,
            "tax_id": b.text(o.get("invoiceCode"), "invoiceCode"),
            "type": b.text(easy.get("invoiceType"), "invoiceEasyInfo.invoiceType"),
            "title": b.text(easy.get("invoiceTitle"), "invoiceEasyInfo.invoiceTitle"),
        }
        return {k: v for k, v in out.items() if v}

    def sign_request(self, params: dict[str, str], *, secret: str, sign_method: str = "md5") -> str:
        """routerjson: upper(MD5(secret + Σ sorted(k+v) + secret)), empty values skipped."""
        return top_sign(params, secret, sign_method, skip_empty=True)

    # ---- API client (routerjson)
    def call(self, shop, method: str, business: dict) -> tuple[bytes, dict]:
        from channels_adapters import clock

        p = {"method": method, "app_key": shop.app_key, "access_token": shop.access_token, "v": "2.0",
             "format": "json", "timestamp": f"{clock.now().astimezone(b.SHANGHAI):{FMT}}",
             "360buy_param_json": json.dumps(business, ensure_ascii=False, separators=(",", ":"))}
        p["sign"] = self.sign_request(p, secret=shop.app_secret)
        http.throttle.wait(("jd", shop.app_key), self.pull_rules.calls_per_second)
        raw = http.call(self.gateway_url(shop, "routerjson"), body=urllib.parse.urlencode(p).encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        try:
            doc = b.loads(raw)
        except b.DocumentError as exc:
            raise GatewayError(f"JD {method}: no JSON ({exc.message})") from None
        err = doc.get("error_response") if isinstance(doc, dict) else None
        if isinstance(err, dict):
            code = str(err.get("code", ""))
            text = f"JD {method} error {code}: {err.get('en_desc', '')} {err.get('zh_desc', '')}".strip()
            if code == "72":
                raise http.RateLimited(text)
            raise http.PlatformRejected(text, code=code)
        if not isinstance(doc, dict):
            raise GatewayError(f"JD {method}: unexpected answer")
        return raw, doc

    @staticmethod
    def _result(doc: dict, envelope: str, key: str) -> dict:
        body = b.obj(doc.get(envelope), envelope)
        result = b.obj(body.get(key), f"{envelope}.{key}")
        api = result.get("apiResult", result)
        if isinstance(api, dict) and api.get("success") in (False, "false"):
            text = f"JD {envelope}: {api.get('englishErrCode', '')} {api.get('chineseErrCode', '')}".strip()
            if "已出库" in text or "already shipped" in text:
                raise http.AlreadyShipped(text, code=str(api.get("numberCode", "")))
            raise http.PlatformRejected(text, code=str(api.get("numberCode", "")))
        return result

    def fetch_order_detail(self, *, shop, channel_order_id: str) -> bytes:
        raw, doc = http.with_retry(lambda: self.call(shop, "jingdong.pop.order.enGet", {
            "order_id": channel_order_id, "optional_fields": OPTIONAL_FIELDS}))
        self._result(doc, "jingdong_pop_order_enGet_responce", "orderDetailInfo")
        return raw

    def list_changed(self, *, shop, start, end, page: int, page_size: int) -> http.Page:
        _, doc = http.with_retry(lambda: self.call(shop, "jingdong.pop.order.enSearch", {
            "start_date": f"{start.astimezone(b.SHANGHAI):{FMT}}", "end_date": f"{end.astimezone(b.SHANGHAI):{FMT}}",
            "order_state": ALL_STATES, "optional_fields": OPTIONAL_FIELDS, "page": str(page),
            "page_size": str(page_size), "dateType": "0", "sortType": "1",
        }))
        result = self._result(doc, "jingdong_pop_order_enSearch_responce", "searchorderinfo_result")
        orders = [b.obj(o, "orderInfoList[]") for o in b.array(result.get("orderInfoList"), "orderInfoList")]
        return http.Page(total=b.integer(result.get("orderTotal"), "orderTotal", default=0), orders=[
            http.ListedOrder(order_id=b.ident(o.get("orderId"), "orderId", required=True),
                             modified=b.shanghai_time(o.get("modified"), "modified"), document=o)
            for o in orders
        ])

    def ship(self, shop, *, channel_order_id: str, carrier: str, tracking_no: str) -> None:
        _, doc = http.with_retry(lambda: self.call(shop, "jingdong.pop.order.shipment", {
            "order_id": channel_order_id, "logiCoprId": carrier, "logiNo": tracking_no}))
        self._result(doc, "jingdong_pop_order_shipment_responce", "sopjosshipment_result")
