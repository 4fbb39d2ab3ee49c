"""How staff screens show money: ``¥1,234.50`` (yuan, thousands separators, 2 decimals).

The same text in every language: the admin's locale must not turn it into ``1.234,50``.
Values are Decimals (or strings of them); never floats.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

EMPTY = "–"


def yuan(value) -> str:
    if value is None or value == "":
        return EMPTY
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return EMPTY
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"
