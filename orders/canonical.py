"""The canonical order: what every channel adapter (and the ingest API) produces.

Frozen dataclasses with no Django in them, so adapters can be tested as pure
functions.  Money is ``Decimal`` yuan with two places; ids and phone numbers are
strings; times are aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CanonicalBuyer:
    channel_buyer_id: str = ""
    nick: str = ""
    level: str | None = None


@dataclass(frozen=True)
class CanonicalReceiver:
    name: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    masked: bool = False


@dataclass(frozen=True)
class CanonicalLine:
    quantity: int
    unit_price: Decimal
    amount: Decimal
    title: str = ""
    sku: str | None = None  # our SKU code = the platform's merchant code
    channel_sku_id: str = ""
    channel_line_id: str = ""
    refund_status: str = "none"


@dataclass(frozen=True)
class CanonicalOrder:
    """One order as the channel sees it right now.

    ``status`` is the target status in *our* lifecycle on first sight (the
    adapter maps the platform's code); ``channel_status`` keeps the raw code.
    """

    shop_code: str
    channel_order_id: str
    status: str
    channel: str = ""
    channel_status: str = ""
    channel_modified_at: datetime | None = None
    channel_created_at: datetime | None = None
    hold_reason: str = ""
    refund_status: str = "none"
    buyer: CanonicalBuyer = field(default_factory=CanonicalBuyer)
    receiver: CanonicalReceiver = field(default_factory=CanonicalReceiver)
    goods: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    shipping: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    currency: str = "CNY"
    presale: bool = False
    cross_border: bool = False
    buyer_message: str = ""
    seller_memo: str = ""
    invoice_request: dict[str, Any] | None = None
    paid_at: datetime | None = None
    promised_ship_by: datetime | None = None
    carrier: str = ""
    tracking_no: str = ""
    lines: tuple[CanonicalLine, ...] = ()
