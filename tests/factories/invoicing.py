"""Factories for invoicing (plain functions)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from stdnum.cn import uscc

from invoicing.models import SellerEntity, TaxCode, TaxProfile
from orders.services.ingest import order_ingest
from tests.factories.orders import canonical_order, make_shop, make_sku

_seq = itertools.count(1)
GOODS_13 = "1090511030000000000"    # taxable goods, 13 %
SERVICE_6 = "3040201000000000000"   # modern services, 6 %
EXEMPT = "1010112010000000000"      # agricultural product sold by its producer, 免税
NON_TAXABLE = "6010000000000000000"  # 不征税 (prepaid card)
TRANSPORT_9 = "3010101020101000000"  # transport service, 9 %
VALID_USCC = "91350100M000100Y43"    # research §8.1 sample
VALID_USCC_2 = "91110000802100433B"


def make_uscc(body17: str) -> str:
    """A valid USCC from 17 characters (digits first 8)."""
    return body17 + uscc.calc_check_digit(body17)


def make_tax_code(code: str = GOODS_13, rate: str = "0.13", exemption: str = "none",
                  **extra) -> TaxCode:
    obj, _ = TaxCode.objects.update_or_create(
        code=code, defaults={"name": extra.pop("name", f"code {code}"), "rate": Decimal(rate),
                             "exemption": exemption, **extra})
    return obj


def make_catalogue() -> dict[str, TaxCode]:
    return {
        "goods": make_tax_code(GOODS_13, "0.13", "none", short_name="货物"),
        "service": make_tax_code(SERVICE_6, "0.06", "none", short_name="服务"),
        "exempt": make_tax_code(EXEMPT, "0", "exempt", short_name="农产品"),
        "non_taxable": make_tax_code(NON_TAXABLE, "0", "non_taxable", short_name="预付卡"),
        "transport": make_tax_code(TRANSPORT_9, "0.09", "none", short_name="运输"),
    }


def make_seller(limit: str = "99999.99", *, code: str = "main", max_lines: int = 2000,
                **extra) -> SellerEntity:
    seller, _ = SellerEntity.objects.update_or_create(
        code=code,
        defaults={"name": "流转测试有限公司", "tax_id": VALID_USCC_2,
                  "per_invoice_limit": Decimal(limit), "max_lines_ordinary": max_lines,
                  "max_lines_special": max_lines, "is_default": True, **extra},
    )
    return seller


def enterprise_buyer(**overrides) -> dict:
    buyer = {"title_type": "enterprise", "name": "上海流转贸易有限公司", "tax_id": VALID_USCC,
             "address": "上海市浦东新区世纪大道100号", "phone": "021-12345678",
             "bank": "中国银行上海分行", "account": "6222000011112222", "email": "a@example.com"}
    buyer.update(overrides)
    return buyer


def personal_buyer(**overrides) -> dict:
    buyer = {"title_type": "personal", "name": "王小明", "tax_id": "", "address": "",
             "phone": "", "bank": "", "account": "", "email": "w@example.com"}
    buyer.update(overrides)
    return buyer


def make_profile(customer=None, **overrides) -> TaxProfile:
    return TaxProfile.objects.create(customer=customer, **enterprise_buyer(**overrides))


def make_order(lines=None, *, tax_code: str | None = GOODS_13, sku_prefix: str = "INV",
               shipping: str = "0.00", discount: str = "0.00", **extra):
    """An order through the real ingest service; ``lines`` are (quantity, unit price)."""
    make_shop()
    n = next(_seq)
    lines = lines or [(2, "49.50")]
    specs = []
    for i, (qty, price) in enumerate(lines, start=1):
        code = f"{sku_prefix}-{n}-{i}" if len(lines) <= 50 else f"{sku_prefix}-{i}"
        if tax_code:
            make_tax_code(tax_code) if not TaxCode.objects.filter(code=tax_code).exists() else None
        make_sku(code, tax_code_id=tax_code)
        specs.append((code, qty, price))
    canonical = canonical_order(lines=specs, shipping=shipping, discount=discount, **extra)
    return order_ingest(canonical=canonical, source="test").order


def today() -> date:
    return date.today()
