"""Warehouse models: master data and stock (``stock``), admin-editable rules (``rules``)
and the order views used by the queues (``proxies``)."""

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
