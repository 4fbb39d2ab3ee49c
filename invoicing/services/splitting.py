"""Split an order's items into the fewest invoices that fit the seller's limits.

Limits: the pre-tax amount of one invoice must not exceed ``limit`` and its line
count must not exceed ``max_lines``.  A line's amount is only divided when that
line alone is over the limit; it is then cut into full-limit pieces plus the
rest.  Pieces and whole lines are packed first-fit-decreasing (by amount, ties
by position), which reaches the lower bound ``max(ceil(Σ/limit), ceil(n/max_lines))``
in the cases that matter here.  Per line, tax = amount × rate rounded half-up;
each line keeps its tax-inclusive total, so the invoice totals add up to the
order exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .items import CENT, Item, split_tax


@dataclass
class PlanLine:
    index: int
    title: str
    tax_code: str
    rate: Decimal
    exemption: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    tax: Decimal
    total: Decimal
    piece: str = ""   # "2/3" when a line over the limit was cut
    line_no: int | None = None

    def as_dict(self) -> dict:
        return {
            "index": self.index, "title": self.title, "tax_code": self.tax_code,
            "rate": str(self.rate.normalize() if self.rate else Decimal("0")),
            "exemption": self.exemption,
            "quantity": None if self.quantity is None else str(self.quantity),
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "amount": str(self.amount), "tax": str(self.tax), "total": str(self.total),
            "piece": self.piece, "line_no": self.line_no,
        }


@dataclass
class PlanInvoice:
    lines: list[PlanLine] = field(default_factory=list)
    amount: Decimal = Decimal("0.00")
    remark: str = ""

    @property
    def tax(self) -> Decimal:
        return sum((x.tax for x in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return sum((x.total for x in self.lines), Decimal("0.00"))

    def as_dict(self) -> dict:
        return {"amount": str(self.amount), "tax": str(self.tax), "total": str(self.total),
                "remark": self.remark, "lines": [x.as_dict() for x in self.lines]}


def _line(item: Item, total: Decimal, *, whole: bool, piece: str = "") -> PlanLine:
    amount, tax = split_tax(total, item.rate)
    return PlanLine(
        index=item.index, title=item.title, tax_code=item.tax_code, rate=item.rate,
        exemption=item.exemption, quantity=item.quantity if whole else None,
        unit_price=item.unit_price if whole else None,
        amount=amount, tax=tax, total=total, piece=piece, line_no=item.line_no,
    )


def _max_total_within(limit: Decimal, rate: Decimal) -> Decimal:
    """Largest tax-inclusive total whose pre-tax amount is ≤ limit."""
    total = (limit * (1 + rate)).quantize(CENT)
    while split_tax(total, rate)[0] > limit:
        total -= CENT
    while split_tax(total + CENT, rate)[0] <= limit:
        total += CENT
    return total


def _pieces(item: Item, limit: Decimal) -> list[PlanLine]:
    line = _line(item, item.total, whole=True)
    if line.amount <= limit:
        return [line]
    chunk = _max_total_within(limit, item.rate)
    totals, rest = [], item.total
    while rest > chunk:
        totals.append(chunk)
        rest -= chunk
    totals.append(rest)
    n = len(totals)
    return [_line(item, t, whole=False, piece=f"{i}/{n}") for i, t in enumerate(totals, 1)]


def plan_split(items: list[Item], *, limit: Decimal, max_lines: int) -> list[PlanInvoice]:
    lines = [piece for item in items for piece in _pieces(item, limit)]
    order = sorted(range(len(lines)), key=lambda i: (-lines[i].amount, i))
    bins: list[PlanInvoice] = []
    for i in order:
        line = lines[i]
        for inv in bins:
            if inv.amount + line.amount <= limit and len(inv.lines) < max_lines:
                break
        else:
            inv = PlanInvoice()
            bins.append(inv)
        inv.lines.append(line)
        inv.amount += line.amount
    position = {id(line): i for i, line in enumerate(lines)}
    for inv in bins:
        inv.lines.sort(key=lambda x: position[id(x)])
    bins.sort(key=lambda inv: position[id(inv.lines[0])])
    return bins


def link_remarks(plan: list[PlanInvoice], *, order_ref: str, remark: str = "") -> list[str]:
    """'订单 X 发票 1/3（共 3 张：1/3, 2/3, 3/3）' on each invoice when there is more than one."""
    n = len(plan)
    for i, inv in enumerate(plan, 1):
        link = ""
        if n > 1:
            members = ", ".join(f"{k}/{n}" for k in range(1, n + 1))
            link = f"订单{order_ref} 第{i}/{n}张 ({members} of order {order_ref})"
        inv.remark = " ".join(x for x in (remark.strip(), link) if x)
    return [inv.remark for inv in plan]
