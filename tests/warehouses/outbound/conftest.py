"""Fixtures for batch outbound: orders spread over three warehouses, PDF parsing."""

from __future__ import annotations

import re

import pytest

from orders.models import Sku
from tests.factories.warehouses import make_order, make_warehouse, receiver, set_stock
from warehouses.models import StockLevel, WaveTemplate

PROVINCES = [("上海", "上海市"), ("四川", "成都市"), ("广东", "广州市")]
SKUS = ["A-1", "A-2", "A-3", "A-4", "HOT-1", "COLD-1"]


def line_pattern(i: int):
    """Mix: single-item, hot SKU, multi-item, multi-unit, cold chain (ships SF)."""
    k = i % 10
    if k < 4:
        return [(SKUS[i % 4], 1, "19.90")]
    if k < 7:
        return [("HOT-1", 1, "9.90")]
    if k < 9:
        return [(SKUS[i % 4], 1, "19.90"), (SKUS[(i + 1) % 4], 2, "19.90")]
    return [("COLD-1", 3, "29.90")]


@pytest.fixture
def three_warehouses(db):
    warehouses = [make_warehouse(code, daily_capacity=100_000, cold_chain=True,
                                 default_carrier=carrier)
                  for code, carrier in (("SH", "ZTO"), ("CD", "YTO"), ("GZ", "JD"))]
    for sku in SKUS:
        Sku.objects.get_or_create(code=sku, defaults={"name": f"商品 {sku}", "weight_g": 400,
                                                      "cold_chain": sku == "COLD-1"})
    for w in warehouses:
        for n, sku in enumerate(SKUS):
            set_stock(w, sku, 5000)
            StockLevel.objects.filter(warehouse=w, sku__code=sku).update(
                bin_location=f"{'ZYXWVU'[n]}-{n:02d}")
    WaveTemplate.objects.filter(kind="single_item").update(max_orders=40, max_lines=40)
    WaveTemplate.objects.filter(kind="multi_item").update(max_orders=15, max_lines=25,
                                                          max_weight_g=10_000)
    WaveTemplate.objects.filter(kind="hot_sku").update(max_orders=60, hot_min_orders=30)
    return warehouses


def make_orders(n: int, *, start: int = 0, address: str = "世纪大道 100 号"):
    orders = []
    for i in range(start, start + n):
        province, city = PROVINCES[i % 3]
        orders.append(make_order(line_pattern(i), receiver=receiver(province, city, address),
                                 channel_order_id=f"{4400000000000000000 + i}"))
    return orders


PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
CONTENT_OP = re.compile(rb"\bTj\b")


def pdf_pages(data: bytes) -> int:
    """Page objects in a PDF, parsed without reportlab (uncompressed object streams).

    The cross-reference table is checked too: every in-use entry points at its object
    (a viewer needs that), and every page has a content stream that draws text."""
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    found = STARTXREF.search(data)
    assert found, "no startxref"
    xref = int(found.group(1))
    assert data[xref:xref + 4] == b"xref"
    header = data[xref:].split(b"\n", 2)
    first, count = map(int, header[1].split())
    entries = header[2].split(b"\n")[:count]
    for number, entry in enumerate(entries, start=first):
        offset, _generation, kind = entry.split()
        if kind == b"n":
            assert re.match(rb"%d 0 obj\b" % number, data[int(offset):]), f"xref of object {number}"
    pages = len(PAGE.findall(data))
    assert len(CONTENT_OP.findall(data)) >= pages
    return pages
