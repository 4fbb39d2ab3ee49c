"""Native documents → CanonicalOrder, per platform (pure: no database)."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from channels_adapters.platforms import base, get_platform
from core.errors import NotFound, ValidationFailed
from tests.factories.channels import fixture_bytes

SH = ZoneInfo("Asia/Shanghai")
D = Decimal


def parse(platform: str, name_or_doc, shop: str = "s1"):
    raw = fixture_bytes(name_or_doc) if isinstance(name_or_doc, str) else name_or_doc
    return get_platform(platform).parse_document(raw, shop_code=shop)


def doc(name: str) -> dict:
    return base.loads(fixture_bytes(name))


def assert_balanced(c):
    assert c.goods - c.discount + c.shipping + c.tax == c.paid
    assert min(c.goods, c.discount, c.shipping, c.tax, c.paid) >= 0
    assert sum(line.amount for line in c.lines) <= c.goods


# ----------------------------------------------------------------------------- Taobao


def test_taobao_multiline_with_refunded_line_and_masked_receiver():
    c = parse("taobao", "taobao_multiline_refund.json")
    assert c.channel == "taobao" and c.shop_code == "s1"
    assert c.channel_order_id == "3912457786025509836"  # 19 digits, exact
    assert (c.status, c.channel_status, c.refund_status) == ("paid", "WAIT_SELLER_SEND_GOODS", "none")
    assert (c.goods, c.discount, c.shipping, c.paid) == (D("457.90"), D("25.00"), D("10.00"), D("442.90"))
    assert_balanced(c)
    first, second = c.lines
    assert (first.sku, first.quantity, first.unit_price, first.amount) == ("TEA-LJ-250G", 2, D("199.00"), D("398.00"))
    assert first.channel_line_id == "3912457786026509836" and first.channel_sku_id == "5082345678901"
    assert (second.sku, second.refund_status) == ("CUP-GLASS-01", "refunded")
    assert c.receiver.masked and c.receiver.name == "王**" and c.receiver.city == "杭州市"
    assert c.buyer.channel_buyer_id == "AAHmZx7kAHbnI_8c0Q9KUcIk"
    assert c.channel_modified_at == datetime(2026, 11, 11, 9, 30, tzinfo=SH)
    assert c.paid_at == datetime(2026, 11, 11, 0, 1, 35, tzinfo=SH)
    assert c.promised_ship_by == datetime(2026, 11, 13, 0, 1, 35, tzinfo=SH)
    assert (c.buyer_message, c.seller_memo) == ("请周末送货", "VIP 客户，加急")
    assert c.invoice_request == {"kind": "1", "title": "杭州某某科技有限公司", "type": "电子发票"}


def test_taobao_presale_ciphertext_and_direct_county_city():
    c = parse("taobao", "taobao_presale_cipher.json")
    assert c.channel_order_id == "4038812345678901234"  # only the JSON number tid: still exact
    assert (c.status, c.presale, c.paid_at) == ("pending_payment", True, None)
    assert c.receiver.masked and c.receiver.name.startswith("~AgAAAA")
    # 省直辖县级行政区: the district acts as the city
    assert (c.receiver.province, c.receiver.city, c.receiver.district) == ("河南省", "济源市", "沁园街道")
    assert c.lines[0].quantity == 1  # "num": "1" as a string
    assert_balanced(c)


def test_taobao_cross_border_tax_and_waybill():
    c = parse("taobao", "taobao_crossborder_shipped.json")
    assert (c.status, c.cross_border, c.tax, c.paid) == ("shipped", True, D("9.10"), D("108.10"))
    assert (c.carrier, c.tracking_no) == ("中通快递", "75312345678901")
    assert_balanced(c)


@pytest.mark.parametrize(
    ("raw", "status", "hold", "refund"),
    [
        ("TRADE_NO_CREATE_PAY", "pending_payment", "", "none"),
        ("PAY_PENDING", "pending_payment", "", "none"),
        ("PAID_FORBID_CONSIGN", "on_hold", "channel_hold", "none"),
        ("SELLER_CONSIGNED_PART", "shipped", "", "none"),
        ("TRADE_BUYER_SIGNED", "delivered", "", "none"),
        ("TRADE_FINISHED", "completed", "", "none"),
        ("TRADE_CLOSED", "cancelled", "", "refunded"),
        ("TRADE_CLOSED_BY_TAOBAO", "cancelled", "", "none"),
    ],
)
def test_taobao_status_table(raw, status, hold, refund):
    d = doc("taobao_crossborder_shipped.json")
    d["trade_fullinfo_get_response"]["trade"]["status"] = raw
    c = parse("taobao", d)
    assert (c.status, c.hold_reason, c.refund_status) == (status, hold, refund)


def test_taobao_open_line_refund_rolls_up_to_requested():
    d = doc("taobao_multiline_refund.json")
    d["trade_fullinfo_get_response"]["trade"]["orders"]["order"][0]["refund_status"] = "WAIT_SELLER_AGREE"
    c = parse("taobao", d)
    assert [line.refund_status for line in c.lines] == ["requested", "refunded"]
    assert c.refund_status == "requested"


# ----------------------------------------------------------------------------- JD


def test_jd_enget_ciphertext_balance_and_invoice():
    c = parse("jd", "jd_enget_cipher.json")
    assert (c.channel_order_id, c.status, c.channel_status) == ("289912345678", "paid", "WAIT_SELLER_STOCK_OUT")
    # orderPayment 325 + balance 10 is what the buyer paid; 20 seller discount
    assert (c.goods, c.discount, c.shipping, c.paid) == (D("347.00"), D("20.00"), D("8.00"), D("335.00"))
    assert_balanced(c)
    assert c.receiver.masked and c.receiver.name.startswith("AAS/")
    assert (c.receiver.province, c.receiver.city, c.receiver.district) == ("北京", "北京市", "朝阳区")
    assert [(x.sku, x.quantity, x.amount) for x in c.lines] == [
        ("HEADSET-PRO", 1, D("299.00")), (None, 2, D("48.00"))]  # outerSkuId missing → unknown
    assert c.buyer.channel_buyer_id == "o1mZo9_F8h6w2eAaPp1rT3yuAbC"
    assert c.buyer_message == "发顺丰"
    assert c.invoice_request["tax_id"] == "91110000802100433B"
    assert c.invoice_request["title"] == "北京某某有限公司"


def test_jd_bare_document_sentinels_and_waybill():
    c = parse("jd", "jd_shipped_bare.json")
    assert c.status == "shipped" and c.refund_status == "none"
    assert (c.carrier, c.tracking_no) == ("467", "JDVA12345678901")
    assert not c.receiver.masked and c.invoice_request is None
    assert c.lines[0].channel_sku_id == "100000000001"  # JSON number skuId kept as a string


@pytest.mark.parametrize(
    ("raw", "status", "hold", "refund"),
    [
        ("LOCKED", "on_hold", "channel_hold", "none"),
        ("PAUSE", "on_hold", "channel_hold", "none"),
        ("POP_ORDER_PAUSE", "on_hold", "channel_hold", "none"),
        ("WAIT_SEND_CODE", "paid", "", "none"),
        ("SEND_TO_DISTRIBUTION_CENER", "shipped", "", "none"),
        ("FINISHED_L", "completed", "", "none"),
        ("TRADE_CANCELED", "cancelled", "", "refunded"),  # paid, then cancelled
    ],
)
def test_jd_status_table(raw, status, hold, refund):
    d = doc("jd_shipped_bare.json")
    d["orderState"] = raw
    c = parse("jd", d)
    assert (c.status, c.hold_reason, c.refund_status) == (status, hold, refund)


def test_jd_cancel_before_payment_is_not_a_refund():
    d = doc("jd_shipped_bare.json")
    d.update(orderState="TRADE_CANCELED", paymentConfirmTime="0001-01-01 00:00:00")
    c = parse("jd", d)
    assert (c.status, c.refund_status, c.paid_at) == ("cancelled", "none", None)


# ----------------------------------------------------------------------------- PDD


def test_pdd_float_money_ciphertext_and_town_is_district():
    c = parse("pdd", "pdd_floats_cipher.json")
    assert (c.channel_order_id, c.status, c.channel_status) == ("231125-538274916305842", "paid", "1")
    assert (c.goods, c.discount, c.shipping, c.paid) == (D("89.70"), D("10.00"), D("0.00"), D("79.70"))
    assert_balanced(c)
    assert c.receiver.masked and c.receiver.name.startswith("~AgAAAA")
    assert (c.receiver.city, c.receiver.district) == ("成都市", "武侯区")
    assert [x.sku for x in c.lines] == ["SNACK-NUT-500", "SNACK-DRY-250"]
    assert c.lines[0].title == "每日坚果 500g 原味,500g"
    assert c.promised_ship_by == datetime(2026, 11, 27, 10, 0, 3, tzinfo=SH)


def test_pdd_strings_group_forming_presale_is_channel_hold():
    c = parse("pdd", "pdd_strings_group_presale.json")
    assert (c.status, c.hold_reason, c.presale) == ("on_hold", "channel_hold", True)
    assert c.lines[0].sku == "RICE-5KG"  # falls back to outer_goods_id
    assert c.receiver.masked and c.receiver.name == "陈**"  # ciphertext gone, mask kept
    assert c.invoice_request == {"requested": True}
    assert_balanced(c)


def test_pdd_shipped_then_refunded():
    c = parse("pdd", "pdd_shipped_refunded.json")
    assert (c.status, c.refund_status, c.lines[0].refund_status) == ("shipped", "refunded", "refunded")
    assert (c.tracking_no, c.carrier) == ("YT1234567890123", "85")


@pytest.mark.parametrize(
    ("changes", "status", "hold", "refund"),
    [
        ({"order_status": 3}, "delivered", "", "none"),
        ({"confirm_status": 2}, "cancelled", "", "refunded"),
        ({"group_status": 2}, "cancelled", "", "refunded"),
        ({"refund_status": 4}, "cancelled", "", "refunded"),
        ({"refund_status": 2}, "paid", "", "requested"),
        ({"risk_control_status": 1}, "on_hold", "channel_hold", "none"),
        ({"confirm_status": 0, "pay_time": ""}, "pending_payment", "", "none"),
    ],
)
def test_pdd_status_dimensions(changes, status, hold, refund):
    d = doc("pdd_floats_cipher.json")
    d["order_info_get_response"]["order_info"].update(changes)
    c = parse("pdd", d)
    assert (c.status, c.hold_reason, c.refund_status) == (status, hold, refund)


# ----------------------------------------------------------------------------- Douyin


def test_douyin_envelope_fen_ciphertext_and_refunded_line():
    c = parse("douyin", "douyin_detail_envelope.json")
    assert (c.channel_order_id, c.status, c.channel_status) == ("4781320682406083640", "paid", "2")
    assert (c.goods, c.discount, c.shipping, c.paid) == (D("297.90"), D("20.00"), D("8.00"), D("285.90"))
    assert_balanced(c)
    assert [(x.sku, x.unit_price, x.refund_status) for x in c.lines] == [
        ("SERUM-30ML", D("129.00"), "none"), ("MASK-5P", D("39.90"), "refunded")]
    assert c.lines[0].channel_line_id == "4781320682406083641"
    assert c.lines[0].channel_sku_id == "1781234567890123"
    assert c.receiver.masked and c.receiver.name.startswith("#k5Tq#")
    assert c.receiver.address.startswith("长河街道 #Jf5u#")
    assert c.channel_modified_at == datetime.fromtimestamp(1764038100, tz=SH)
    assert (c.buyer_message, c.seller_memo) == ("尽快发货谢谢", "送小样")


def test_douyin_bare_big_number_ids_and_string_fen_presale():
    c = parse("douyin", "douyin_presale_bignum.json")
    assert c.channel_order_id == "4705288465508532862"  # a JSON number > 2**53, exact
    assert (c.status, c.presale) == ("pending_payment", True)  # main_status 103 部分支付
    assert (c.goods, c.discount, c.paid) == (D("599.00"), D("50.00"), D("549.00"))
    assert c.receiver.masked and c.receiver.name == "孙*"


def test_douyin_cross_border_tax_and_logistics():
    c = parse("douyin", "douyin_crossborder_shipped.json")
    assert (c.status, c.cross_border, c.tax) == ("shipped", True, D("18.40"))
    assert (c.carrier, c.tracking_no) == ("shunfeng", "SF1400000000001")
    assert not c.receiver.masked and c.receiver.name == "钱七"
    assert_balanced(c)


@pytest.mark.parametrize(
    ("order_status", "main_status", "status", "refund"),
    [(1, 1, "pending_payment", "none"), (105, 105, "paid", "none"), (101, 101, "shipped", "none"),
     (5, 5, "completed", "none"), (4, 21, "cancelled", "refunded"), (3, 22, "cancelled", "refunded")],
)
def test_douyin_status_table(order_status, main_status, status, refund):
    d = doc("douyin_detail_envelope.json")
    d["data"]["shop_order_detail"].update(order_status=order_status, main_status=main_status)
    c = parse("douyin", d)
    assert (c.status, c.refund_status) == (status, refund)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("platform", "raw", "code"),
    [
        ("taobao", b'{"trade": {"tid": 1', "malformed_json"),
        ("taobao", b"\xff\xfe{}", "invalid_encoding"),
        ("taobao", b"[1, 2]", "invalid_document"),
        ("taobao", b'{"trade": {"tid": 1.5e18, "status": "WAIT_SELLER_SEND_GOODS"}}', "invalid_document"),
        ("jd", b'{"orderId": "1", "orderState": "NOPE"}', "invalid_document"),
        ("pdd", b'{"order_info": {"order_sn": "x", "order_status": NaN}}', "malformed_json"),
        ("douyin", b'{"code": 50002, "msg": "no", "data": {}}', "platform_error_document"),
        ("pdd", b'{"error_response": {"error_code": 10001, "error_msg": "x"}}', "platform_error_document"),
    ],
)
def test_bad_documents_raise_validation_errors_with_codes(platform, raw, code):
    with pytest.raises(ValidationFailed) as err:
        get_platform(platform).parse_document(raw, shop_code="s1")
    assert err.value.code == code


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda o: o["item_list"][0].update(goods_count="two"), "item_list[0].goods_count"),
        (lambda o: o["item_list"][0].update(goods_price={"v": 1}), "item_list[0].goods_price"),
        (lambda o: o.update(item_list="nope"), "item_list"),
        (lambda o: o.update(item_list=[]), "item_list"),
        (lambda o: o.update(updated_at="yesterday"), "updated_at"),
        (lambda o: o["item_list"][0].update(goods_count=0), "item_list[0].goods_count"),
    ],
)
def test_wrong_types_name_the_field(mutate, field):
    d = copy.deepcopy(doc("pdd_floats_cipher.json"))
    mutate(d["order_info_get_response"]["order_info"])
    with pytest.raises(ValidationFailed) as err:
        parse("pdd", d)
    assert err.value.code == "invalid_document" and field in err.value.message


def test_unknown_platform():
    with pytest.raises(NotFound) as err:
        get_platform("kuaishou")
    assert err.value.code == "unknown_platform"


def test_redact_hides_personal_data_but_keeps_regions():
    red = base.redact(doc("taobao_multiline_refund.json"))
    trade = red["trade_fullinfo_get_response"]["trade"]
    assert trade["receiver_name"] == trade["receiver_mobile"] == trade["receiver_address"] == "[redacted]"
    assert trade["receiver_state"] == "浙江省" and trade["tid_str"] == "3912457786025509836"
