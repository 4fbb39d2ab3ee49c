"""Warehouse admin: master data and stock board (``stock``), rule tables (``rules``),
the order queues (``queues``) and batch outbound (``outbound``)."""

from . import outbound, queues, rules, stock  # noqa: F401
