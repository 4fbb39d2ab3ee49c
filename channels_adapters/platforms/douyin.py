"""Douyin 抖店 (Doudian): ``/order/orderDetail`` documents, API signing, push verification.

Facts: research/channels.md §1.4 (status codes), §5.2 (API sign), §5.3 (fields),
§5.4 (push).  Money is fen integers (sometimes strings); times are unix seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from datetime import timedelta

from django.utils.translation import gettext

from orders.canonical import CanonicalBuyer, CanonicalLine, CanonicalOrder, CanonicalReceiver

from . import base as b
from . import http
from .registry import GatewayError, Platform, register
from .signing import equal

STATUS = {
    1: "pending_payment",  # 待确认/待支付
    105: "paid",  # 已支付
    2: "paid",  # 备货中
    101: "shipped",  # 部分发货
    3: "shipped",  # 已发货
    4: "cancelled",
    5: "completed",  # 已完成（已收货）
}
REFUNDED_MAIN = {21, 22, 39}  # 发货前/发货后/收货后 退款完结
CROSS_BORDER_BIZ = {21, 22, 23, 28}
# after_sale_status: open requests and finished refunds; exchange (3) / resend (7) are no refund.
AFTER_SALE_OPEN = {6, 7, 11, 13, 14, 29}
AFTER_SALE_DONE = {12, 51, 53}
NO_REFUND_TYPES = {3, 7}

# Push tags (zsmhub Tag() table).  Every order and refund tag triggers a detail fetch.
TRADE_TAGS = {
    "100": "TradeCreate", "101": "TradePaid", "102": "TradeSellerShip", "103": "TradeSuccess",
    "104": "TradeLogisticsChanged", "105": "TradeAddressChanged", "106": "TradeCanceled",
    "108": "TradePartlySellerShip", "109": "TradeAmountChanged", "110": "TradePending",
    "111": "TradeAddressChangeApplied", "113": "TradeMemoModify", "126": "TradeAppointmentV2",
}
REFUND_TAGS = {
    "200": "RefundCreated", "201": "RefundAgreed", "202": "RefundReturnApplyAgreed",
    "203": "RefundBuyerReturnGoods", "204": "RefundRefused", "205": "RefundReturnApplyRefused",
    "206": "RefundSuccess", "207": "RefundClosed", "208": "RefundModified",
    "209": "RefundExpirationChange", "211": "RefundExchangeConfirmed",
    **{str(t): "RefundArbitrate" for t in range(212, 219)},
    "224": "SpecialRefundCreated", "225": "SpecialRefundSuccess",
    "226": "ResendShipped", "227": "ResendAgreed",
}
ORDER_TAGS = {**TRADE_TAGS, **REFUND_TAGS}


def line_refund(info: dict, field: str) -> str:
    if not info:
        return "none"
    status = b.integer(info.get("after_sale_status"), f"{field}.after_sale_status", default=0)
    kind = b.integer(info.get("after_sale_type"), f"{field}.after_sale_type", default=0)
    refund = b.integer(info.get("refund_status"), f"{field}.refund_status", default=0)
    if kind in NO_REFUND_TYPES:
        return "none"
    if refund == 3 or status in AFTER_SALE_DONE:
        return "refunded"
    if status in AFTER_SALE_OPEN:
        return "requested"
    return "none"


def _name(value, field: str) -> str:
    if isinstance(value, dict):
        return b.text(value.get("name"), f"{field}.name")
    return b.text(value, field)


@register
class Douyin(Platform):
    name = "douyin"
    channel = "douyin"
    envelope_keys = ("data", "shop_order_detail")
    # searchList: page from 0, size ≤ 100 (§5.1); window is the sandbox's choice.
    pull_rules = http.PullRules(max_window=timedelta(hours=1), page_size=100, first_page=0,
                                backwards=True)

    def unwrap(self, document: dict) -> dict:
        if "data" in document:
            code = b.text(document.get("code"), "code")
            if code and code not in ("10000", "0"):
                raise b.DocumentError(
                    gettext("Doudian error response %(code)s: %(message)s")
                    % {"code": code, "message": b.text(document.get("msg"), "msg")},
                    code="platform_error_document",
                )
            document = b.obj(document["data"], "data")
        if "shop_order_detail" in document:
            document = b.obj(document["shop_order_detail"], "shop_order_detail")
        if "order_id" not in document:
            raise b.fail("shop_order_detail.order_id", gettext("is required (is this a Doudian order?)"))
        return document

    def to_canonical(self, o: dict, *, shop_code: str) -> CanonicalOrder:
        order_id = b.ident(o.get("order_id"), "order_id", required=True)
        order_status = b.integer(o.get("order_status"), "order_status")
        main_status = b.integer(o.get("main_status"), "main_status", default=0)
        if order_status not in STATUS:
            message = gettext("unknown Doudian order status %(status)r") % {"status": order_status}
            raise b.fail("order_status", message)
        status = STATUS[order_status]
        paid_at = b.unix_time(o.get("pay_time"), "pay_time")

        lines, refunds, presale = [], [], False
        for i, s in enumerate(b.array(o.get("sku_order_list"), "sku_order_list"), start=1):
            f = f"sku_order_list[{i - 1}]"
            s = b.obj(s, f)
            quantity = b.integer(s.get("item_num"), f"{f}.item_num", default=0)
            if quantity <= 0:
                raise b.fail(f"{f}.item_num", gettext("must be a positive integer"))
            price = b.fen(s.get("origin_amount"), f"{f}.origin_amount", default=None)
            amount = b.fen(s.get("sum_amount"), f"{f}.sum_amount", default=None) if s.get(
                "sum_amount") not in (None, "") else b.line_amount(price, quantity)
            refund = line_refund(b.obj(s.get("after_sale_info"), f"{f}.after_sale_info",
                                       required=False), f"{f}.after_sale_info")
            refunds.append(refund)
            presale = presale or b.integer(s.get("pre_sale_type"), f"{f}.pre_sale_type", default=0) in (1, 2)
            specs = [
                b.text(x.get("value"), f"{f}.spec.value")
                for x in b.array(s.get("spec"), f"{f}.spec") if isinstance(x, dict)
            ]
            title = b.text(s.get("product_name"), f"{f}.product_name", max_length=1000)
            lines.append(CanonicalLine(
                quantity=quantity,
                unit_price=price,
                amount=amount,
                title=" ".join([title, *specs]).strip()[:255],
                sku=b.first(b.text(s.get("out_sku_id"), f"{f}.out_sku_id"),
                            b.text(s.get("code"), f"{f}.code"),
                            b.text(s.get("out_product_id"), f"{f}.out_product_id")) or None,
                channel_sku_id=b.ident(s.get("sku_id"), f"{f}.sku_id"),
                channel_line_id=b.ident(s.get("order_id"), f"{f}.order_id"),
                refund_status=refund,
            ))
        if not lines:
            raise b.fail("sku_order_list", gettext("an order needs at least one sku order"))

        refunded_closed = main_status in REFUNDED_MAIN or (status == "cancelled" and paid_at is not None
                                                           and all(r == "refunded" for r in refunds))
        if main_status in REFUNDED_MAIN:
            status = "cancelled"
        if main_status == 103:  # 部分支付: presale deposit paid, balance due
            status, presale = "pending_payment", True
        shipping = b.fen(o.get("post_amount"), "post_amount")
        tax = b.fen(o.get("tax_amount"), "tax_amount")
        paid = b.fen(o.get("pay_amount"), "pay_amount", default=None)
        goods = sum((line.amount for line in lines), b.ZERO)
        goods, discount = b.balance(goods=goods, shipping=shipping, tax=tax, paid=paid)
        logistics = [x for x in b.array(o.get("logistics_info"), "logistics_info") if isinstance(x, dict)]
        first_pack = logistics[0] if logistics else {}
        biz = b.integer(o.get("biz"), "biz", default=0)
        return CanonicalOrder(
            shop_code=shop_code,
            channel=self.channel,
            channel_order_id=order_id,
            status=status,
            channel_status=str(order_status),
            channel_modified_at=b.unix_time(o.get("update_time"), "update_time"),
            channel_created_at=b.unix_time(o.get("create_time"), "create_time"),
            refund_status=b.refund_rollup(refunds, closed_after_refund=refunded_closed),
            buyer=CanonicalBuyer(channel_buyer_id=b.ident(o.get("doudian_open_id"), "doudian_open_id",
                                                          max_length=128)),
            receiver=self._receiver(o),
            goods=goods,
            discount=discount,
            shipping=shipping,
            tax=tax,
            paid=paid,
            presale=presale or b.integer(o.get("trade_type"), "trade_type", default=0) == 2
            or bool(b.array(o.get("order_phase_list"), "order_phase_list")),
            cross_border=biz in CROSS_BORDER_BIZ,
            buyer_message=b.text(o.get("buyer_words"), "buyer_words"),
            seller_memo=b.text(o.get("seller_words"), "seller_words"),
            paid_at=paid_at,
            promised_ship_by=b.unix_time(o.get("exp_ship_time"), "exp_ship_time"),
            carrier=b.text(first_pack.get("company"), "logistics_info[0].company")[:32],
            tracking_no=b.text(first_pack.get("tracking_no"), "logistics_info[0].tracking_no")[:64],
            lines=tuple(lines),
        )

    @staticmethod
    def _receiver(o: dict) -> CanonicalReceiver:
        addr = b.obj(o.get("post_addr"), "post_addr", required=False)
        mask_addr = b.obj(o.get("mask_post_addr"), "mask_post_addr", required=False)
        region = addr or mask_addr
        # Ciphertext first (it can be decrypted through /order/batchDecrypt), then plain, then mask.
        name = b.first(b.text(o.get("encrypt_post_receiver"), "encrypt_post_receiver"),
                       b.text(o.get("post_receiver"), "post_receiver"),
                       b.text(o.get("mask_post_receiver"), "mask_post_receiver"))
        phone = b.first(b.text(o.get("encrypt_post_tel"), "encrypt_post_tel"),
                        b.text(o.get("post_tel"), "post_tel"),
                        b.text(o.get("mask_post_tel"), "mask_post_tel"))
        street = _name(region.get("street"), "post_addr.street")
        detail = b.first(b.text(addr.get("encrypt_detail"), "post_addr.encrypt_detail"),
                         b.text(addr.get("detail"), "post_addr.detail"),
                         b.text(mask_addr.get("detail"), "mask_post_addr.detail"))
        return CanonicalReceiver(
            name=name[:255], phone=phone[:255],
            province=_name(region.get("province"), "post_addr.province")[:64],
            city=_name(region.get("city"), "post_addr.city")[:64],
            district=_name(region.get("town"), "post_addr.town")[:64],  # Doudian town = 区县
            address=" ".join(x for x in (street, detail) if x),
            masked=any(b.is_masked(v) for v in (name, phone, detail)),
        )

    # ---- signatures
    @staticmethod
    def param_json(params: dict) -> str:
        """Compact JSON, keys sorted, no HTML escaping — the exact string the sign covers."""
        return json.dumps(params, separators=(",", ":"), sort_keys=True, ensure_ascii=False)

    def sign_request(self, params: dict[str, str], *, secret: str, sign_method: str = "hmac-sha256") -> str:
        """secret + app_key.. method.. param_json.. timestamp.. v.. + secret → HMAC-SHA256 / MD5 hex."""
        pattern = (
            f"{secret}app_key{params['app_key']}method{params['method']}"
            f"param_json{params.get('param_json', '{}')}timestamp{params['timestamp']}"
            f"v{params.get('v', '2')}{secret}"
        )
        if sign_method == "md5":
            return hashlib.md5(pattern.encode("utf-8")).hexdigest()
        return hmac.new(secret.encode(), pattern.encode("utf-8"), hashlib.sha256).hexdigest()

    @staticmethod
    def push_sign(*, body: bytes, app_key: str, secret: str, sign_method: str = "") -> str:
        message = app_key.encode() + body + secret.encode()
        if sign_method.lower().replace("_", "-") in ("hmac-sha256", "hmacsha256", "sha256"):
            return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        return hashlib.md5(message).hexdigest()

    def verify_push(self, *, body: bytes, headers: dict[str, str], app_key: str, secret: str) -> bool:
        """``app-id`` = our app key and ``event-sign`` = md5/HMAC-SHA256 over the raw body."""
        if not app_key or not secret or headers.get("app-id", "") != app_key:
            return False
        expected = self.push_sign(body=body, app_key=app_key, secret=secret,
                                  sign_method=headers.get("sign-method", ""))
        return equal(headers.get("event-sign", ""), expected)

    # ---- API client (open API paths; method = path with "/" → ".")
    def request_url(self, *, shop, method: str, param_json: str, timestamp: int | None = None) -> str:
        from channels_adapters import clock

        params = {
            "app_key": shop.app_key, "method": method, "access_token": shop.access_token,
            "param_json": param_json, "timestamp": str(timestamp or int(clock.now().timestamp())), "v": "2",
            "sign_method": "hmac-sha256",
        }
        params["sign"] = self.sign_request(params, secret=shop.app_secret)
        query = {k: v for k, v in params.items() if k != "param_json"}
        return f"{self.gateway_url(shop, method.replace('.', '/'))}?{urllib.parse.urlencode(query)}"

    def call(self, shop, method: str, params: dict, *, timeout: float = 10.0) -> tuple[bytes, dict]:
        body = self.param_json(params)
        url = self.request_url(shop=shop, method=method, param_json=body)
        raw = http.call(url, body=body.encode("utf-8"), timeout=timeout,
                        headers={"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"})
        try:
            envelope = b.loads(raw)
        except b.DocumentError as exc:
            raise GatewayError(f"Doudian gateway sent no JSON: {exc.message}") from exc
        code = str(envelope.get("code", "")) if isinstance(envelope, dict) else ""
        if code != "10000":
            msg = envelope.get("msg", "") if isinstance(envelope, dict) else ""
            sub = str(envelope.get("sub_code", "")) if isinstance(envelope, dict) else ""
            text = f"Doudian gateway error {code}: {msg}"
            if code == "40010" or "frequent" in sub:
                raise http.RateLimited(text)
            if "already-shipped" in sub:
                raise http.AlreadyShipped(text, code=code, sub_code=sub)
            raise http.PlatformRejected(text, code=code, sub_code=sub)
        return raw, envelope

    def fetch_order_detail(self, *, shop, channel_order_id: str, timeout: float = 10.0) -> bytes:
        raw, _ = http.with_retry(lambda: self.call(shop, "order.orderDetail", {"shop_order_id": channel_order_id},
                                                   timeout=timeout))
        return raw

    def list_changed(self, *, shop, start, end, page: int, page_size: int) -> http.Page:
        _, envelope = http.with_retry(lambda: self.call(shop, "order.searchList", {
            "update_time_start": int(start.timestamp()), "update_time_end": int(end.timestamp()),
            "page": page, "size": page_size, "order_by": "update_time", "order_asc": True,
        }))
        data = b.obj(envelope.get("data"), "data")
        orders = [b.obj(o, "shop_order_list[]") for o in b.array(data.get("shop_order_list"), "shop_order_list")]
        return http.Page(total=b.integer(data.get("total"), "total", default=0), orders=[
            http.ListedOrder(order_id=b.ident(o.get("order_id"), "order_id", required=True),
                             modified=b.unix_time(o.get("update_time"), "update_time"), document=o)
            for o in orders
        ])

    def ship(self, shop, *, channel_order_id: str, carrier: str, tracking_no: str) -> None:
        http.with_retry(lambda: self.call(shop, "order.logisticsAdd", {
            "order_id": channel_order_id, "company_code": carrier, "logistics_code": tracking_no}))
