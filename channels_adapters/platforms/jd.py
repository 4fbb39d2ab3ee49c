"""JD (JOS / POP): ``jingdong.pop.order.enGet`` / ``get`` documents and routerjson signing.

Facts: research/channels.md §1.2 (orderState), §3.1 (envelope ``_responce``, sign),
§3.2 (fields).  Money is yuan strings; ``0001-01-01 00:00:00`` means "not set".
"""

from __future__ import annotations

import re

from orders.canonical import CanonicalBuyer, CanonicalLine, CanonicalOrder, CanonicalReceiver

from . import base as b
from .registry import Platform, register
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


@register
class JD(Platform):
    name = "jd"
    channel = "jd"
    envelope_keys = ENVELOPES

    def unwrap(self, document: dict) -> dict:
        for key in ENVELOPES:
            if key in document:
                document = b.obj(document[key], key)
                break
        for key in ("orderDetailInfo", "orderInfo"):
            if key in document and isinstance(document[key], dict):
                document = document[key]
        if "orderId" not in document:
            raise b.fail("orderInfo.orderId", "is required (is this a JD order document?)")
        return document

    def to_canonical(self, o: dict, *, shop_code: str) -> CanonicalOrder:
        order_id = b.ident(o.get("orderId"), "orderId", required=True)
        raw_status = b.code(o.get("orderState"), "orderState")
        if raw_status not in STATUS:
            raise b.fail("orderState", f"unknown JD order state {raw_status!r}")
        status, hold = STATUS[raw_status]
        paid_at = b.shanghai_time(o.get("paymentConfirmTime"), "paymentConfirmTime")

        lines = []
        for i, item in enumerate(b.array(o.get("itemInfoList"), "itemInfoList"), start=1):
            f = f"itemInfoList[{i - 1}]"
            item = b.obj(item, f)
            quantity = b.integer(item.get("itemTotal"), f"{f}.itemTotal", default=0)
            if quantity <= 0:
                raise b.fail(f"{f}.itemTotal", "must be a positive integer")
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
            raise b.fail("itemInfoList", "an order needs at least one item")

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
