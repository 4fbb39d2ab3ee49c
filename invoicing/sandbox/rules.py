"""The sandbox gateway's own validation — written from research §8, NOT from our pre-check.

It must stay an independent implementation: the pre-check is measured against
it.  Codes imitate the provider's style (``E0000`` = success).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

# §8.1 — USCC (GB 32100-2015), as in hutool's CreditCodeUtil.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
RIC_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
RIC_CHECK = "10X98765432"
COMPANY_WORDS = ("公司", "有限", "集团")

CODES = {
    "tax_id_required": ("E1101", "购方税号不能为空"),
    "tax_id_invalid": ("E1102", "购方税号校验不通过"),
    "name_chars": ("E1103", "购方名称包含非法字符"),
    "name_length": ("E1104", "购方名称长度超过100"),
    "special_incomplete": ("E1105", "专票购方地址电话、开户行及账号不能为空"),
    "natural_person": ("E1106", "自然人标识与购方名称不符"),
    "address_tel": ("E1107", "购方地址电话长度超过100"),
    "bank_account": ("E1108", "购方开户行及账号长度超过100"),
    "goods_code_missing": ("E1201", "商品和服务税收分类编码不能为空"),
    "goods_code_unknown": ("E1202", "商品和服务税收分类编码不存在或已停用"),
    "favoured_rate": ("E1203", "优惠政策标识与税率不匹配"),
    "exempt_special": ("E1204", "免税商品不允许开具增值税专用发票"),
    "goods_name": ("E1205", "商品名称超长或包含非法字符"),
    "remark": ("E1301", "备注长度超过200"),
    "over_limit": ("E1401", "单张发票不含税金额超过开票限额"),
    "too_many_lines": ("E1402", "发票明细行数超过2000"),
    "tax_tolerance": ("E1403", "税额误差超过0.06"),
    "sum_mismatch": ("E1404", "价税合计与明细不符"),
    "bad_request": ("E9001", "请求参数错误"),
}


class Reject(Exception):
    def __init__(self, key: str, field: str, detail: str = ""):
        self.code, text = CODES[key]
        self.field = field
        self.describe = f"{text}{'：' + detail if detail else ''}"
        super().__init__(self.describe)


def uscc_ok(value: str) -> bool:
    if not USCC_RE.match(value):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(value[:17], USCC_WEIGHTS, strict=True))
    check = 31 - total % 31
    return value[17] == USCC_ALPHABET[0 if check == 31 else check]


def ric_ok(value: str) -> bool:
    if not re.match(r"^\d{17}[\dX]$", value):
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], RIC_WEIGHTS, strict=True))
    return value[17] == RIC_CHECK[total % 11]


def tax_num_ok(value: str) -> bool:
    if len(value) == 18:
        return uscc_ok(value) or ric_ok(value)
    return len(value) in (15, 20) and re.fullmatch(r"[0-9A-Z]+", value) is not None


def printable(text: str) -> bool:
    """The platform prints GBK; no control characters, no astral-plane symbols."""
    for ch in text:
        if ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ord(ch) > 0xFFFF:
            return False
        if 0xE000 <= ord(ch) <= 0xF8FF or ch in "\u200b\u200c\u200d\u2060\ufeff":
            return False
        try:
            ch.encode("gbk")
        except UnicodeEncodeError:
            return False
    return True


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Reject("bad_request", field, "金额格式错误") from None
    if amount != amount.quantize(Decimal("0.01")):
        raise Reject("bad_request", field, "金额最多两位小数")
    return amount


def validate_buyer(doc: dict) -> None:
    name = doc.get("buyerName") or ""
    num = doc.get("buyerTaxNum") or ""
    special = doc.get("invoiceLine") in ("bs", "s", "b", "es")
    natural = str(doc.get("naturalPersonFlag", "0")) == "1"
    if not name or not printable(name) or name != name.strip():
        raise Reject("name_chars", "buyerName")
    if re.fullmatch(r"[\d\s\W_]+", name):
        raise Reject("name_chars", "buyerName", "名称不能仅为数字或符号")
    if len(name) > 100:
        raise Reject("name_length", "buyerName")
    if len(num) > 20:
        raise Reject("tax_id_invalid", "buyerTaxNum")
    if (special or not natural) and not num:
        raise Reject("tax_id_required", "buyerTaxNum")
    if num and not tax_num_ok(num):
        raise Reject("tax_id_invalid", "buyerTaxNum")
    if len(doc.get("buyerAddress") or "") + len(doc.get("buyerTel") or "") > 100:
        raise Reject("address_tel", "buyerAddress")
    if len(doc.get("buyerAccount") or "") > 100:
        raise Reject("bank_account", "buyerAccount")
    if special and (natural or not doc.get("buyerAddress") or not doc.get("buyerTel")
                    or len((doc.get("buyerAccount") or "").split()) < 2):
        raise Reject("special_incomplete", "buyerAccount")
    if natural and any(word in name for word in COMPANY_WORDS):
        raise Reject("natural_person", "naturalPersonFlag", "自然人名称不能为企业名称")
    if not natural and not special and len(name) <= 4:
        raise Reject("natural_person", "buyerName", "非自然人购方名称长度须大于4")


def validate_lines(doc: dict, catalogue, today: dt.date) -> tuple[Decimal, Decimal, Decimal]:
    """``catalogue(code)`` → (valid_from, valid_to) or None.  Returns the summed amounts."""
    details = doc.get("invoiceDetail") or []
    special = doc.get("invoiceLine") in ("bs", "s", "b", "es")
    if not isinstance(details, list) or not details:
        raise Reject("bad_request", "invoiceDetail", "明细不能为空")
    if len(details) > 2000:
        raise Reject("too_many_lines", "invoiceDetail")
    sums = [Decimal("0")] * 3
    for pos, line in enumerate(details, start=1):
        where = f"invoiceDetail[{pos}]"
        goods = line.get("goodsName") or ""
        if not goods or len(goods) > 90 or not printable(goods):
            raise Reject("goods_name", f"{where}.goodsName")
        code = line.get("goodsCode") or ""
        if not code:
            raise Reject("goods_code_missing", f"{where}.goodsCode")
        found = catalogue(code) if re.fullmatch(r"\d{19}", code) else None
        if found is None or (found[0] and found[0] > today) or (found[1] and found[1] < today):
            raise Reject("goods_code_unknown", f"{where}.goodsCode", code)
        try:
            rate = Decimal(str(line.get("taxRate")))
        except (InvalidOperation, ValueError):
            raise Reject("bad_request", f"{where}.taxRate") from None
        flag = str(line.get("favouredPolicyFlag") or "")
        zero_flag = str(line.get("zeroRateFlag") or "")
        if flag in ("03", "04") or zero_flag:
            if rate != 0:
                raise Reject("favoured_rate", f"{where}.taxRate", "免税/不征税/零税率须为0税率")
        elif rate == 0:
            raise Reject("favoured_rate", f"{where}.favouredPolicyFlag", "0税率须标明优惠政策")
        if (flag == "04") != code.startswith("6"):
            raise Reject("favoured_rate", f"{where}.favouredPolicyFlag", "不征税项目编码以6开头")
        if special and flag == "03":
            raise Reject("exempt_special", f"{where}.favouredPolicyFlag")
        amount = _money(line.get("taxExcludedAmount"), f"{where}.taxExcludedAmount")
        tax = _money(line.get("tax"), f"{where}.tax")
        total = _money(line.get("taxIncludedAmount"), f"{where}.taxIncludedAmount")
        if abs(tax - amount * rate) > Decimal("0.06"):
            raise Reject("tax_tolerance", f"{where}.tax")
        if amount + tax != total:
            raise Reject("sum_mismatch", f"{where}.taxIncludedAmount")
        sums = [sums[0] + amount, sums[1] + tax, sums[2] + total]
    return sums[0], sums[1], sums[2]


def validate_invoice(doc: dict, *, catalogue, seller_limit, today: dt.date) -> None:
    if not doc.get("requestId") or doc.get("invoiceLine") not in ("pc", "bs"):
        raise Reject("bad_request", "invoiceLine")
    validate_buyer(doc)
    amount, tax, total = validate_lines(doc, catalogue, today)
    if len(doc.get("remark") or "") > 200:
        raise Reject("remark", "remark")
    if any(_money(doc.get(k), k) != v for k, v in
           (("taxExcludedAmount", amount), ("tax", tax), ("taxIncludedAmount", total))):
        raise Reject("sum_mismatch", "taxIncludedAmount")
    limit = seller_limit(doc.get("sellerTaxNum") or "")
    if limit is not None and amount > limit:
        raise Reject("over_limit", "taxExcludedAmount")
