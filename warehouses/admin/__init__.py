"""Warehouse admin: master data and stock board (``stock``), rule tables (``rules``),
and the order queues (``queues``)."""

from . import queues, rules, stock  # noqa: F401
