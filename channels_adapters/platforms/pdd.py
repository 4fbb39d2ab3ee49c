"""Pinduoduo (POP): ``pdd.order.information.get`` documents, router and PMC signing.

Facts: research/channels.md §1.3 (status dimensions), §4.2 (fields), §4.3 (sign),
§4.4 (PMC).  Money is yuan as strings *or* JSON numbers; ``town`` is the district.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from datetime import timedelta

from django.utils.translation import gettext

from orders.canonical import CanonicalBuyer, CanonicalLine, CanonicalOrder, CanonicalReceiver

from . import base as b
from . import http
from .registry import GatewayError, Platform, register
from .signing import top_sign

SHIP_STATUS = {1: "paid", 2: "shipped", 3: "delivered"}
REFUND_STATUS = {1: "none", 2: "requested", 3: "requested", 4: "refunded"}


def map_status(o: dict) -> tuple[str, str, str]:
    """(our status, hold reason, order refund status) from PDD's several status dimensions."""
    order_status = b.integer(o.get("order_status"), "order_status")
    refund = REFUND_STATUS.get(b.integer(o.get("refund_status"), "refund_status", default=1), "none")
    confirm = b.integer(o.get("confirm_status"), "confirm_status")
    group = b.integer(o.get("group_status"), "group_status")
    risk = b.integer(o.get("risk_control_status"), "risk_control_status", default=0)
    paid = bool(b.text(o.get("pay_time"), "pay_time").strip("0-: "))
    if order_status not in SHIP_STATUS:
        message = gettext("unknown PDD order status %(status)r") % {"status": order_status}
        raise b.fail("order_status", message)
    if confirm == 2 or group == 2:  # 已取消 / 团失败
        return "cancelled", "", "refunded" if paid else refund
    if order_status == 1 and refund == "refunded":  # fully refunded before shipment: closed
        return "cancelled", "", "refunded"
    if order_status == 1 and confirm == 0 and not paid:
        return "pending_payment", "", refund
    if order_status == 1 and (group == 0 or risk == 1):  # 拼团中 / 风控审核中: do not ship
        return "on_hold", "channel_hold", refund
    return SHIP_STATUS[order_status], "", refund


# Our carrier codes → PDD logistics company ids (pdd.logistics.companies.get).
LOGISTICS_IDS = {"SF": "44", "YTO": "85", "ZTO": "115", "YUNDA": "121", "JD": "120"}
SHIPPED_CODES = {"20010"}


@register
class PDD(Platform):
    name = "pdd"
    channel = "pdd"
    envelope_keys = ("order_info_get_response", "order_info")
    # ≤ 30 min per call, page_size ≤ 100, backwards, window end ≥ 3 min behind now (§4.1).
    pull_rules = http.PullRules(max_window=timedelta(minutes=30), page_size=100, first_page=1,
                                backwards=True, end_lag=timedelta(minutes=3))

    def unwrap(self, document: dict) -> dict:
        if "order_info_get_response" in document:
            document = b.obj(document["order_info_get_response"], "order_info_get_response")
        if "order_info" in document and isinstance(document["order_info"], dict):
            document = document["order_info"]
        if "order_sn" not in document:
            raise b.fail("order_info.order_sn", gettext("is required (is this a PDD order document?)"))
        return document

    def to_canonical(self, o: dict, *, shop_code: str) -> CanonicalOrder:
        order_sn = b.ident(o.get("order_sn"), "order_sn", required=True)
        status, hold, refund = map_status(o)
        raw_status = str(b.integer(o.get("order_status"), "order_status"))

        lines = []
        single_refund = refund if len(b.array(o.get("item_list"), "item_list")) == 1 else "none"
        for i, item in enumerate(b.array(o.get("item_list"), "item_list"), start=1):
            f = f"item_list[{i - 1}]"
            item = b.obj(item, f)
            quantity = b.integer(item.get("goods_count"), f"{f}.goods_count", default=0)
            if quantity <= 0:
                raise b.fail(f"{f}.goods_count", gettext("must be a positive integer"))
            price = b.yuan(item.get("goods_price"), f"{f}.goods_price", default=None)
            title = b.text(item.get("goods_name"), f"{f}.goods_name", max_length=1000)
            spec = b.text(item.get("goods_spec"), f"{f}.goods_spec")
            sku_id = b.ident(item.get("sku_id"), f"{f}.sku_id")
            lines.append(CanonicalLine(
                quantity=quantity,
                unit_price=price,
                amount=b.line_amount(price, quantity),
                title=(f"{title} {spec}" if spec else title)[:255],
                sku=b.text(item.get("outer_id"), f"{f}.outer_id")
                or b.text(item.get("outer_goods_id"), f"{f}.outer_goods_id") or None,
                channel_sku_id=sku_id,
                channel_line_id=sku_id or b.ident(item.get("goods_id"), f"{f}.goods_id"),
                # order_info has no per-line after-sales; a one-line order's is the order's.
                refund_status=single_refund,
            ))
        if not lines:
            raise b.fail("item_list", gettext("an order needs at least one item"))

        goods = b.yuan(o.get("goods_amount"), "goods_amount", default=None)
        shipping = b.yuan(o.get("postage"), "postage")
        paid = b.yuan(o.get("pay_amount"), "pay_amount", default=None)
        goods, discount = b.balance(goods=goods, shipping=shipping, tax=b.ZERO, paid=paid)
        step = o.get("step_order_info") if isinstance(o.get("step_order_info"), dict) else {}
        return CanonicalOrder(
            shop_code=shop_code,
            channel=self.channel,
            channel_order_id=order_sn,
            status=status,
            channel_status=raw_status,
            channel_modified_at=b.shanghai_time(o.get("updated_at"), "updated_at"),
            channel_created_at=b.shanghai_time(o.get("created_time"), "created_time"),
            hold_reason=hold,
            refund_status=refund,
            buyer=CanonicalBuyer(),
            receiver=self._receiver(o),
            goods=goods,
            discount=discount,
            shipping=shipping,
            paid=paid,
            presale=b.integer(o.get("is_pre_sale"), "is_pre_sale", default=0) == 1
            or b.integer(o.get("trade_type"), "trade_type", default=0) == 1 or bool(step),
            cross_border=bool(b.text(o.get("inner_transaction_id"), "inner_transaction_id"))
            or bool(b.text(o.get("bonded_warehouse"), "bonded_warehouse"))
            or b.truthy(o.get("is_cross_border")),
            buyer_message=b.text(o.get("buyer_memo"), "buyer_memo"),
            seller_memo=b.text(o.get("remark"), "remark"),
            invoice_request={"requested": True}
            if b.integer(o.get("invoice_status"), "invoice_status", default=0) == 1 else None,
            paid_at=b.shanghai_time(o.get("pay_time"), "pay_time"),
            promised_ship_by=b.shanghai_time(o.get("last_ship_time"), "last_ship_time"),
            carrier=b.ident(o.get("logistics_id"), "logistics_id")[:32]
            if b.text(o.get("tracking_number"), "tracking_number") else "",
            tracking_no=b.text(o.get("tracking_number"), "tracking_number")[:64],
            lines=tuple(lines),
        )

    @staticmethod
    def _receiver(o: dict) -> CanonicalReceiver:
        # Ciphertext while awaiting shipment, "" afterwards; the *_mask copies stay.
        name = b.first(b.text(o.get("receiver_name"), "receiver_name"),
                       b.text(o.get("receiver_name_mask"), "receiver_name_mask"))
        phone = b.first(b.text(o.get("receiver_phone"), "receiver_phone"),
                        b.text(o.get("receiver_phone_mask"), "receiver_phone_mask"))
        address = b.first(b.text(o.get("receiver_address"), "receiver_address"),
                          b.text(o.get("address"), "address"),
                          b.text(o.get("receiver_address_mask"), "receiver_address_mask"),
                          b.text(o.get("address_mask"), "address_mask"))
        return CanonicalReceiver(
            name=name[:255], phone=phone[:255],
            province=b.text(o.get("province"), "province")[:64],
            city=b.text(o.get("city"), "city")[:64],
            district=b.text(o.get("town"), "town")[:64],  # PDD town = 区/县
            address=address,
            masked=any(b.is_masked(v) for v in (name, phone, address)),
        )

    def sign_request(self, params: dict[str, str], *, secret: str, sign_method: str = "md5") -> str:
        return top_sign(params, secret, sign_method)

    @staticmethod
    def pmc_connect_sign(*, client_id: str, timestamp_ms: str, secret: str) -> str:
        """PMC WebSocket path sign: base64(md5_hex(client_id + timestamp_ms + secret))."""
        digest = hashlib.md5(f"{client_id}{timestamp_ms}{secret}".encode()).hexdigest()
        return base64.b64encode(digest.encode()).decode()

    # ---- API client (router)
    def call(self, shop, type_: str, params: dict[str, str]) -> tuple[bytes, dict]:
        from channels_adapters import clock

        p = {"type": type_, "client_id": shop.app_key, "access_token": shop.access_token, "data_type": "JSON",
             "version": "V1", "timestamp": str(int(clock.now().timestamp())), **params}
        p["sign"] = self.sign_request(p, secret=shop.app_secret)
        raw = http.call(self.gateway_url(shop, "api/router"), body=urllib.parse.urlencode(p).encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        try:
            doc = b.loads(raw)
        except b.DocumentError as exc:
            raise GatewayError(f"PDD {type_}: no JSON ({exc.message})") from None
        err = doc.get("error_response") if isinstance(doc, dict) else None
        if isinstance(err, dict):
            code = str(err.get("error_code", ""))
            text = f"PDD {type_} error {code}: {err.get('error_msg', '')} {err.get('sub_msg', '')}".strip()
            if code == "54001":
                raise http.RateLimited(text)
            if code in SHIPPED_CODES:
                raise http.AlreadyShipped(text, code=code, sub_code=str(err.get("sub_code") or ""))
            raise http.PlatformRejected(text, code=code, sub_code=str(err.get("sub_code") or ""))
        if not isinstance(doc, dict):
            raise GatewayError(f"PDD {type_}: unexpected answer")
        return raw, doc

    def fetch_order_detail(self, *, shop, channel_order_id: str) -> bytes:
        raw, _ = http.with_retry(lambda: self.call(shop, "pdd.order.information.get",
                                                   {"order_sn": channel_order_id}))
        return raw

    def list_changed(self, *, shop, start, end, page: int, page_size: int) -> http.Page:
        _, doc = http.with_retry(lambda: self.call(shop, "pdd.order.number.list.increment.get", {
            "start_updated_at": str(int(start.timestamp())), "end_updated_at": str(int(end.timestamp())),
            "order_status": "5", "refund_status": "5", "is_lucky_flag": "0", "page": str(page),
            "page_size": str(page_size), "use_has_next": "false",
        }))
        body = b.obj(doc.get("order_sn_increment_get_response"), "order_sn_increment_get_response")
        orders = [b.obj(o, "order_sn_list[]") for o in b.array(body.get("order_sn_list"), "order_sn_list")]
        return http.Page(total=b.integer(body.get("total_count"), "total_count", default=0), orders=[
            http.ListedOrder(order_id=b.ident(o.get("order_sn"), "order_sn", required=True),
                             modified=b.shanghai_time(o.get("updated_at"), "updated_at"), document=o)
            for o in orders
        ])

    def ship(self, shop, *, channel_order_id: str, carrier: str, tracking_no: str) -> None:
        logistics_id = LOGISTICS_IDS.get(carrier.upper(), carrier)
        if not logistics_id.isdigit():
            raise http.PlatformRejected(f"PDD has no logistics id for carrier {carrier!r}", code="carrier")
        http.with_retry(lambda: self.call(shop, "pdd.logistics.online.send", {
            "order_sn": channel_order_id, "logistics_id": logistics_id, "tracking_number": tracking_no}))
