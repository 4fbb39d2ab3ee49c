"""Taobao / Tmall (TOP): ``taobao.trade.fullinfo.get`` documents, TOP and TMC signing.

Facts: research/channels.md §1.1 (status codes), §2.2 (fields), §2.3 (API sign),
§2.4 (TMC connect sign).  Money is yuan strings; times are naive Asia/Shanghai.
"""

from __future__ import annotations

import hashlib
from typing import Any

from orders.canonical import CanonicalBuyer, CanonicalLine, CanonicalOrder, CanonicalReceiver

from . import base as b
from .registry import Platform, register
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


@register
class Taobao(Platform):
    name = "taobao"
    channel = "taobao"
    envelope_keys = ("trade_fullinfo_get_response", "trade")

    def unwrap(self, document: dict) -> dict:
        if "trade_fullinfo_get_response" in document:
            document = b.obj(document["trade_fullinfo_get_response"], "trade_fullinfo_get_response")
        if "trade" in document and isinstance(document["trade"], dict):
            document = document["trade"]
        if "tid" not in document and "tid_str" not in document:
            raise b.fail("trade.tid", "is required (is this a Taobao trade document?)")
        return document

    def to_canonical(self, t: dict, *, shop_code: str) -> CanonicalOrder:
        tid = b.ident(t.get("tid_str") or t.get("tid"), "tid", required=True)
        raw_status = b.code(t.get("status"), "status")
        if raw_status not in STATUS:
            raise b.fail("status", f"unknown Taobao trade status {raw_status!r}")
        status, hold, order_refund = STATUS[raw_status]

        lines, line_refunds, carrier, tracking = [], [], "", ""
        for i, o in enumerate(_listed(t.get("orders"), "order", "orders"), start=1):
            f = f"orders.order[{i - 1}]"
            o = b.obj(o, f)
            quantity = b.integer(o.get("num"), f"{f}.num", default=0)
            if quantity <= 0:
                raise b.fail(f"{f}.num", "must be a positive integer")
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
            raise b.fail("orders", "a trade needs at least one order line")

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
