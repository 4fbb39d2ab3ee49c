"""Alerts (anomalies of orders) and the fulfilment options of out-of-stock orders."""

from .alerts import (
    OPEN_Q,
    Alert,
    AlertKind,
    AlertNotificationRule,
    AlertStatus,
    DirtyOrder,
    Severity,
    StuckRule,
)
from .fulfilment import (
    Compensation,
    CompensationKind,
    FulfilmentDecision,
    FulfilmentPolicy,
    InboundLine,
    InboundShipment,
    InboundStatus,
    OptionKind,
)

__all__ = [
    "OPEN_Q",
    "Alert",
    "AlertKind",
    "AlertNotificationRule",
    "AlertStatus",
    "Compensation",
    "CompensationKind",
    "DirtyOrder",
    "FulfilmentDecision",
    "FulfilmentPolicy",
    "InboundLine",
    "InboundShipment",
    "InboundStatus",
    "OptionKind",
    "Severity",
    "StuckRule",
]
