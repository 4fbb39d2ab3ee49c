"""Taobao / Tmall (TOP): ``taobao.trade.fullinfo.get`` documents, TOP and TMC signing.

Facts: research/channels.md §1.1 (status codes), §2.2 (fields), §2.3 (API sign),
§2.4 (TMC connect sign).  Money is yuan strings; times are naive Asia/Shanghai.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext

from orders.canonical import CanonicalBuyer, CanonicalLine, CanonicalOrder, CanonicalReceiver

from . import base as b
from . import http
from .registry import GatewayError, Platform, register
from .signing import top_sign

# trade.status → (our status, hold reason, order refund status or None)
STATUS = {
    "TRADE_NO_CREATE_PAY": ("pending_payment", "", None),
    "WAIT_BUYER_PAY": ("pending_payment", "", None),
    "PAY_PENDING": ("pending_payment", "", None),
    "WAIT_PRE_AUTH_CONFIRM": ("pending_payment", "", None),
    "WAIT_SELLER_SEND_GOODS": ("paid", "", None),
    "PAID_FORBID_CONSIGN": ("on_hold", "channel_hold", None),
    "SELLER_CONSIGNED_PART": ("shipped", "", None),
    "WAIT_BUYER_CONFIRM_GOODS": ("shipped", "", None),
    "TRADE_BUYER_SIGNED": ("delivered", "", None),
    "TRADE_FINISHED": ("completed", "", None),
    "TRADE_CLOSED": ("cancelled", "", "refunded"),  # closed after payment by a full refund
    "TRADE_CLOSED_BY_TAOBAO": ("cancelled", "", None),  # closed before payment
}
LINE_REFUND = {
    "": "none",
    "NO_REFUND": "none",
    "CLOSED": "none",
    "WAIT_SELLER_AGREE": "requested",
    "WAIT_BUYER_RETURN_GOODS": "requested",
    "WAIT_SELLER_CONFIRM_GOODS": "requested",
    "SELLER_REFUSE_BUYER": "requested",  # still open: the buyer may change it or escalate
    "SUCCESS": "refunded",
}


def _listed(value: Any, inner: str, field: str) -> list:
    """TOP lists come as ``{"order": [...]}`` (or bare with ``simplify=true``)."""
    if isinstance(value, dict):
        value = value.get(inner)
    return b.array(value, field)


# Trade types asked for explicitly: the default filter silently hides the others (§2.1).
TRADE_TYPES = ("fixed,auction,guarantee_trade,step,independent_simple_trade,independent_shop_trade,"
               "auto_delivery,ec,cod,instant_trade,b2c_cod,super_market_trade,super_market_cod_trade,"
               "tmall_i18n,nopaid,pre_auth_type,o2o_offlinetrade,eticket")
FULLINFO_FIELDS = ("tid,tid_str,status,type,step_trade_status,step_paid_fee,new_presell,buyer_nick,"
                   "buyer_open_uid,seller_nick,created,pay_time,consign_time,modified,consign_due_time,"
                   "est_con_time,send_time,total_fee,post_fee,discount_fee,adjust_fee,payment,order_tax_fee,"
                   "cross_bonded_declare,post_gate_declare,receiver_name,receiver_state,receiver_city,"
                   "receiver_district,receiver_town,receiver_address,receiver_mobile,receiver_phone,oaid,"
                   "buyer_message,buyer_memo,seller_memo,invoice_kind,invoice_name,invoice_type,orders")
SHIPPED_SUB_CODES = ("B04", "已发货")


@dataclass(frozen=True)
class TmcMessage:
    """One TMC message as ``taobao.tmc.messages.consume`` hands it out (content parsed)."""

    id: str
    topic: str
    content: dict
    raw: bytes
    pub_time: str

    @property
    def tid(self) -> str:
        return b.ident(self.content.get("tid"), "content.tid")


@register
class Taobao(Platform):
    name = "taobao"
    channel = "taobao"
    envelope_keys = ("trade_fullinfo_get_response", "trade")
    # ≤ 1 day per call, ≤ 30 min recommended; page backwards; 1–100 per page (§2.1, §2.5).
    pull_rules = http.PullRules(max_window=timedelta(minutes=30), page_size=50, first_page=1,
                                backwards=True)

    def unwrap(self, document: dict) -> dict:
        if "trade_fullinfo_get_response" in document:
            document = b.obj(document["trade_fullinfo_get_response"], "trade_fullinfo_get_response")
        if "trade" in document and isinstance(document["trade"], dict):
            document = document["trade"]
        if "tid" not in document and "tid_str" not in document:
            raise b.fail("trade.tid", gettext("is required (is this a Taobao trade document?)"))
        return document

    def to_canonical(self, t: dict, *, shop_code: str) -> CanonicalOrder:
        tid = b.ident(t.get("tid_str") or t.get("tid"), "tid", required=True)
        raw_status = b.code(t.get("status"), "status")
        if raw_status not in STATUS:
            message = gettext("unknown Taobao trade status %(status)r") % {"status": raw_status}
            raise b.fail("status", message)
        status, hold, order_refund = STATUS[raw_status]

        lines, line_refunds, carrier, tracking = [], [], "", ""
        for i, o in enumerate(_listed(t.get("orders"), "order", "orders"), start=1):
            f = f"orders.order[{i - 1}]"
            o = b.obj(o, f)
            quantity = b.integer(o.get("num"), f"{f}.num", default=0)
            if quantity <= 0:
                raise b.fail(f"{f}.num", gettext("must be a positive integer"))
            price = b.yuan(o.get("price"), f"{f}.price", default=None)
            refund = LINE_REFUND.get(b.code(o.get("refund_status"), f"{f}.refund_status"), "none")
            line_refunds.append(refund)
            carrier = carrier or b.text(o.get("logistics_company"), f"{f}.logistics_company")
            tracking = tracking or b.text(o.get("invoice_no"), f"{f}.invoice_no")  # = waybill
            lines.append(CanonicalLine(
                quantity=quantity,
                unit_price=price,
                amount=b.line_amount(price, quantity),
                title=b.text(o.get("title"), f"{f}.title", max_length=1000)[:255],
                sku=b.text(o.get("outer_sku_id"), f"{f}.outer_sku_id")
                or b.text(o.get("outer_iid"), f"{f}.outer_iid") or None,
                channel_sku_id=b.ident(o.get("sku_id"), f"{f}.sku_id")
                or b.ident(o.get("num_iid"), f"{f}.num_iid"),
                channel_line_id=b.ident(o.get("oid_str") or o.get("oid"), f"{f}.oid"),
                refund_status=refund,
            ))
        if not lines:
            raise b.fail("orders", gettext("a trade needs at least one order line"))

        tax = b.yuan(t.get("order_tax_fee"), "order_tax_fee")
        shipping = b.yuan(t.get("post_fee"), "post_fee")
        paid = b.yuan(t.get("payment"), "payment", default=None)
        goods = b.yuan(t.get("total_fee"), "total_fee", default=None)
        goods, discount = b.balance(goods=goods, shipping=shipping, tax=tax, paid=paid)
        return CanonicalOrder(
            shop_code=shop_code,
            channel=self.channel,
            channel_order_id=tid,
            status=status,
            channel_status=raw_status,
            channel_modified_at=b.shanghai_time(t.get("modified"), "modified"),
            channel_created_at=b.shanghai_time(t.get("created"), "created"),
            hold_reason=hold,
            refund_status=b.refund_rollup(line_refunds, closed_after_refund=order_refund == "refunded"),
            buyer=CanonicalBuyer(
                channel_buyer_id=b.ident(t.get("buyer_open_uid"), "buyer_open_uid", max_length=128)
                or b.text(t.get("buyer_nick"), "buyer_nick", max_length=128),
                nick=b.text(t.get("buyer_nick"), "buyer_nick", max_length=128),
            ),
            receiver=self._receiver(t),
            goods=goods,
            discount=discount,
            shipping=shipping,
            tax=tax,
            paid=paid,
            presale=self._presale(t),
            cross_border=b.truthy(t.get("cross_bonded_declare")) or b.truthy(t.get("post_gate_declare")),
            buyer_message=b.text(t.get("buyer_message"), "buyer_message")
            or b.text(t.get("buyer_memo"), "buyer_memo"),
            seller_memo=b.text(t.get("seller_memo"), "seller_memo"),
            invoice_request=self._invoice(t),
            paid_at=b.shanghai_time(t.get("pay_time"), "pay_time"),
            promised_ship_by=self._promised(t),
            carrier=carrier[:32],
            tracking_no=tracking.split(",")[0][:64],
            lines=tuple(lines),
        )

    @staticmethod
    def _receiver(t: dict) -> CanonicalReceiver:
        city = b.text(t.get("receiver_city"), "receiver_city")
        district = b.text(t.get("receiver_district"), "receiver_district")
        if not city and district:  # 省直辖县级行政区: the district acts as the city
            city, district = district, b.text(t.get("receiver_town"), "receiver_town")
        name = b.text(t.get("receiver_name"), "receiver_name")
        phone = b.first(b.text(t.get("receiver_mobile"), "receiver_mobile"),
                        b.text(t.get("receiver_phone"), "receiver_phone"))
        address = b.text(t.get("receiver_address"), "receiver_address")
        masked = any(b.is_masked(v) for v in (name, phone, address)) or bool(t.get("oaid"))
        return CanonicalReceiver(
            name=name[:255], phone=phone[:255], province=b.text(t.get("receiver_state"), "receiver_state")[:64],
            city=city[:64], district=district[:64], address=address, masked=masked,
        )

    @staticmethod
    def _presale(t: dict) -> bool:
        return (
            b.text(t.get("type"), "type") == "step"
            or bool(b.text(t.get("step_trade_status"), "step_trade_status"))
            or b.truthy(t.get("new_presell"))
            or b.truthy(t.get("general_new_presell"))
        )

    @staticmethod
    def _invoice(t: dict) -> dict | None:
        fields = {"kind": "invoice_kind", "title": "invoice_name", "type": "invoice_type"}
        out = {k: b.text(t.get(src), src) for k, src in fields.items() if t.get(src) not in (None, "")}
        return out or None

    @staticmethod
    def _promised(t: dict):
        for field in ("consign_due_time", "est_con_time", "send_time"):
            try:
                value = b.shanghai_time(t.get(field), field)
            except b.DocumentError:  # free text such as "付款后15天内"
                continue
            if value:
                return value
        return None

    # ---- signatures
    def sign_request(self, params: dict[str, str], *, secret: str, sign_method: str = "md5") -> str:
        return top_sign(params, secret, sign_method)

    @staticmethod
    def tmc_connect_sign(*, app_key: str, group_name: str, timestamp_ms: str, secret: str) -> str:
        """TMC WebSocket connect sign: upper(MD5(secret+"app_key"+k+"group_name"+g+"timestamp"+ts+secret))."""
        text = f"{secret}app_key{app_key}group_name{group_name}timestamp{timestamp_ms}{secret}"
        return hashlib.md5(text.encode("utf-8")).hexdigest().upper()

    # ---- API client (TOP router)
    def call(self, shop, method: str, params: dict[str, str], *, session: bool = True) -> tuple[bytes, dict]:
        """One signed TOP call; the parsed response (ints as strings) or a ``GatewayError``."""
        from channels_adapters import clock

        p = {"method": method, "app_key": shop.app_key, "format": "json", "v": "2.0", "sign_method": "md5",
             "timestamp": f"{clock.now().astimezone(b.SHANGHAI):%Y-%m-%d %H:%M:%S}", **params}
        if session:
            p["session"] = shop.access_token
        p["sign"] = self.sign_request(p, secret=shop.app_secret)
        raw = http.call(self.gateway_url(shop, "router/rest"), body=urllib.parse.urlencode(p).encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        return raw, self._check(raw, method)

    @staticmethod
    def _check(raw: bytes, method: str) -> dict:
        try:
            doc = b.loads(raw)
        except b.DocumentError as exc:
            raise GatewayError(f"TOP {method}: no JSON ({exc.message})") from None
        if not isinstance(doc, dict):
            raise GatewayError(f"TOP {method}: unexpected answer")
        err = doc.get("error_response")
        if isinstance(err, dict):
            code, sub = str(err.get("code", "")), str(err.get("sub_code", ""))
            text = f"TOP {method} error {code} {sub}: {err.get('msg', '')} {err.get('sub_msg', '')}".strip()
            if code == "7" or "limited" in sub:
                raise http.RateLimited(text)
            if any(mark in sub or mark in str(err.get("sub_msg", "")) for mark in SHIPPED_SUB_CODES):
                raise http.AlreadyShipped(text, code=code, sub_code=sub)
            if code in ("10", "15") and sub.startswith("isp."):
                raise GatewayError(text)  # platform trouble: retry
            raise http.PlatformRejected(text, code=code, sub_code=sub)
        return doc

    def fetch_order_detail(self, *, shop, channel_order_id: str) -> bytes:
        raw, _ = http.with_retry(lambda: self.call(
            shop, "taobao.trade.fullinfo.get", {"fields": FULLINFO_FIELDS, "tid": channel_order_id}))
        return raw

    def list_changed(self, *, shop, start, end, page: int, page_size: int) -> http.Page:
        fmt = "%Y-%m-%d %H:%M:%S"
        _, doc = http.with_retry(lambda: self.call(shop, "taobao.trades.sold.increment.get", {
            "fields": "tid,tid_str,status,modified", "type": TRADE_TYPES,
            "start_modified": f"{start.astimezone(b.SHANGHAI):{fmt}}",
            "end_modified": f"{end.astimezone(b.SHANGHAI):{fmt}}",
            "page_no": str(page), "page_size": str(page_size),
        }))
        body = b.obj(doc.get("trades_sold_increment_get_response"), "trades_sold_increment_get_response")
        trades = _listed(body.get("trades"), "trade", "trades")
        return http.Page(total=b.integer(body.get("total_results"), "total_results", default=0), orders=[
            http.ListedOrder(order_id=b.ident(t.get("tid_str") or t.get("tid"), "tid", required=True),
                             modified=b.shanghai_time(t.get("modified"), "modified"))
            for t in trades
        ])

    def ship(self, shop, *, channel_order_id: str, carrier: str, tracking_no: str) -> None:
        http.with_retry(lambda: self.call(shop, "taobao.logistics.offline.send", {
            "tid": channel_order_id, "out_sid": tracking_no, "company_code": carrier}))

    # ---- TMC over HTTP (taobao.tmc.messages.consume / confirm)
    def tmc_consume(self, shop, *, group_name: str = "default", quantity: int = 100) -> list[TmcMessage]:
        _, doc = http.with_retry(lambda: self.call(
            shop, "taobao.tmc.messages.consume", {"group_name": group_name, "quantity": str(quantity)},
            session=False))
        body = doc.get("tmc_messages_consume_response") or {}
        out = []
        for m in _listed(body.get("messages") if isinstance(body, dict) else None, "tmc_message", "messages"):
            m = b.obj(m, "tmc_message")
            content = m.get("content")
            raw = content.encode("utf-8") if isinstance(content, str) else b.dumps(content).encode("utf-8")
            try:
                parsed = b.loads(raw) if isinstance(content, str) else (content or {})
            except b.DocumentError:
                parsed = {}
            out.append(TmcMessage(id=b.ident(m.get("id"), "tmc_message.id", required=True),
                                  topic=b.text(m.get("topic"), "topic"), content=parsed if isinstance(parsed, dict)
                                  else {}, raw=raw, pub_time=b.text(m.get("pub_time"), "pub_time")))
        return out

    def tmc_confirm(self, shop, *, message_ids: list[str], failed: list[str] = ()) -> None:
        params = {"group_name": "default", "s_message_ids": ",".join(message_ids)}
        if failed:
            params["f_message_ids"] = ",".join(failed)
        http.with_retry(lambda: self.call(shop, "taobao.tmc.messages.confirm", params, session=False))
