"""Warehouse models: master data and stock (``stock``), admin-editable rules (``rules``),
the order views used by the queues (``proxies``) and batch outbound (``outbound``)."""

from .outbound import (
    BatchOrder,
    BatchStatus,
    HandoverMode,
    OutboundBatch,
    OutboundFilter,
    Parcel,
    ParcelStatus,
    PickListLine,
    SandboxWaybill,
    Step,
    Wave,
    WaveKind,
    WaveStatus,
    WaveTemplate,
)
from .proxies import OutboundOrder, ReviewOrder, RoutedOrder
from .rules import (
    ApprovalCondition,
    ApprovalOutcome,
    ApprovalRule,
    PriceFloor,
    RoutingRule,
    RoutingRuleKind,
    ScoringPolicy,
)
from .stock import Reservation, StockLevel, StockSync, Warehouse, WarehouseKind

__all__ = [
    "BatchOrder", "BatchStatus", "HandoverMode", "OutboundBatch", "OutboundFilter", "Parcel",
    "ParcelStatus", "PickListLine", "SandboxWaybill", "Step", "Wave", "WaveKind", "WaveStatus",
    "WaveTemplate",
    "ApprovalCondition",
    "ApprovalOutcome",
    "ApprovalRule",
    "OutboundOrder",
    "PriceFloor",
    "Reservation",
    "ReviewOrder",
    "RoutedOrder",
    "RoutingRule",
    "RoutingRuleKind",
    "ScoringPolicy",
    "StockLevel",
    "StockSync",
    "Warehouse",
    "WarehouseKind",
]
