"""What goes on the invoice for an order: one item per order line (+ shipping).

Item totals are tax-inclusive (what the buyer paid for that line); the order
discount is spread over the lines in proportion to their amounts, the last
cent going to the largest lines, so that the item totals add up to the
order's paid amount exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from invoicing.models import SellerEntity, TaxCode

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Item:
    index: int                # 1-based position on the request (stable for red-letter)
    title: str
    quantity: Decimal | None
    unit_price: Decimal | None
    total: Decimal            # tax-inclusive
    tax_code: str             # "" when the SKU has none
    rate: Decimal
    exemption: str
    code_valid_from: object = None
    code_valid_to: object = None
    code_known: bool = False
    line_no: int | None = None  # order line number; None for shipping

    def with_title(self, title: str) -> Item:
        return replace(self, title=title)


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def split_tax(total: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(pre-tax amount, tax) with tax = amount × rate half-up and amount + tax == total.

    Rarely no amount satisfies both (amount + round(amount·rate) skips a cent);
    then the tax takes the odd cent, still within the gateways' 0.06 tolerance.
    """
    if rate == 0:
        return total, Decimal("0.00")
    guess = q(total / (1 + rate))
    for amount in (guess, guess - CENT, guess + CENT):
        if amount + q(amount * rate) == total:
            return amount, q(amount * rate)
    return guess, total - guess


def _allocate(amounts: list[Decimal], discount: Decimal) -> list[Decimal]:
    base = sum(amounts, Decimal("0"))
    if not discount or not base:
        return [Decimal("0.00")] * len(amounts)
    shares = [(a * discount / base).quantize(CENT, rounding=ROUND_DOWN) for a in amounts]
    left = int((discount - sum(shares)) / CENT)
    for i in sorted(range(len(amounts)), key=lambda i: -amounts[i])[:left]:
        shares[i] += CENT
    return shares


def _code_fields(code: TaxCode | None) -> dict:
    if code is None:
        return {"tax_code": "", "rate": Decimal("0"), "exemption": "none", "code_known": False}
    return {
        "tax_code": code.code, "rate": code.rate, "exemption": code.exemption,
        "code_valid_from": code.valid_from, "code_valid_to": code.valid_to, "code_known": True,
    }


def order_items(order, seller: SellerEntity) -> list[Item]:
    lines = list(order.lines.select_related("sku__tax_code").order_by("line_no"))
    discounts = _allocate([line.amount for line in lines], order.discount_amount)
    items = []
    for i, (line, off) in enumerate(zip(lines, discounts, strict=True), start=1):
        code = line.sku.tax_code if line.sku_id else None
        items.append(Item(
            index=i, title=line.title or (line.sku.name if line.sku_id else line.merchant_code),
            quantity=Decimal(line.quantity), unit_price=line.unit_price,
            total=line.amount - off, line_no=line.line_no, **_code_fields(code),
        ))
    if order.shipping_amount:
        code = seller.shipping_tax_code
        items.append(Item(
            index=len(items) + 1, title="运输服务*运费", quantity=None, unit_price=None,
            total=order.shipping_amount, **_code_fields(code),
        ))
    return items
