"""Carrier adapters (ports and adapters): e-waybill numbers, cancellation, pickup.

An adapter is an *outside system*: it is called outside any database transaction and
never writes our models.  Every request carries an idempotency key (our parcel id), so
asking again after a crash returns the number already issued instead of a new one —
that is what real e-waybill APIs (菜鸟/顺丰/中通 …) do with their order id field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CARRIERS = ("SF", "ZTO", "YTO", "JD")


class CarrierError(Exception):
    """The whole call failed (network, 5xx); safe to retry with the same keys."""


class CarrierRateLimited(CarrierError):
    def __init__(self, retry_after: float):
        super().__init__(f"rate limited, retry after {retry_after:.2f}s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class WaybillRequest:
    key: str                 # idempotency key: the parcel id
    sender_warehouse: str
    receiver_province: str
    receiver_city: str
    receiver_address: str
    weight_g: int


@dataclass
class WaybillResult:
    key: str
    tracking_no: str | None = None
    error_code: str = ""
    error: str = ""


@dataclass
class CancelResult:
    cancelled: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # number -> reason


def carrier_client(code: str):
    """The adapter for ``code``; the sandbox stands in for every carrier here."""
    from .sandbox import SandboxCarrier

    if code not in CARRIERS:
        raise ValueError(f"unknown carrier {code!r}")
    return SandboxCarrier(code)
