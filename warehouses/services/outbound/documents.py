"""Printable documents (reportlab, no browser): shipping labels and pick lists.

Rendering is CPU only — callers render *outside* transactions and store the bytes.
Labels: one PDF per wave, one 100 × 150 mm page per parcel (the thermal e-waybill size)
with a Code 128 barcode of the tracking number.  Pick list: A4, SKUs in bin order.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
LABEL_SIZE = (100 * mm, 150 * mm)
CARRIER_NAMES = {"SF": "顺丰速运 SF Express", "ZTO": "中通快递 ZTO", "YTO": "圆通速递 YTO",
                 "JD": "京东物流 JD Logistics"}


@dataclass(frozen=True)
class LabelData:
    tracking_no: str
    carrier: str
    wave: str
    sender: str
    receiver_name: str
    receiver_phone: str
    receiver_address: str
    order_ref: str
    package: str
    contents: str
    weight_g: int


def labels_digest(numbers) -> str:
    return hashlib.sha256(",".join(sorted(numbers)).encode()).hexdigest()


# Text operands for the CID font (UniGB-UCS2-H encoding): UTF-16BE, escaped as PDF string
# bytes — what reportlab's ``UnicodeCIDFont.formatForPdf`` produces, in one C-level
# ``str.translate`` instead of its pure-Python loop (no C accelerator here).
_ESCAPE = {c: f"\\{c:03o}" for c in range(256) if c < 32 or c >= 127}
_ESCAPE.update({ord("\\"): "\\\\", ord("("): "\\(", ord(")"): "\\)"})


def _pdf_string(text: str) -> str:
    return "(" + text.encode("utf-16-be").decode("latin-1").translate(_ESCAPE) + ")"


def _pt(value: float) -> str:
    return f"{value:.2f}"


def _barcode(value: str, *, x: float, y: float, height: float, bar: float) -> str:
    """Code 128 (reportlab's encoder) as one filled path in a coordinate system scaled to
    one module × the bar height, so every rectangle is small integers: reportlab's widget
    draws bar by bar through its pure-Python number formatter."""
    code = code128.Code128(value, barHeight=height, barWidth=bar, quiet=0)
    code.validate()
    code.encode()
    code.decompose()
    ops, left = [], 0
    for ch in code.decomposed:
        if "a" <= ch <= "z":
            left += ord(ch) - 96
        elif "A" <= ch <= "Z":
            w = ord(ch) - 64
            ops.append(f"{left} 0 {w} 1 re")
            left += w
    return f"q {bar:.4f} 0 0 {height:.4f} {x:.2f} {y:.2f} cm 0 g {' '.join(ops)} f Q"


class _LabelPage:
    """The drawing operators of one label page, written straight into the page stream.

    Positions and sizes are fixed, so their numbers are formatted once; per label only
    the texts are encoded.  The output is what ``drawString`` would draw (same font,
    sizes and places), one ``BT … ET`` per text."""

    def __init__(self, font_ref: str):
        self.font = pdfmetrics.getFont(FONT)
        self.font_ref = font_ref
        self.rule = f"{_pt(5 * mm)} {_pt(80 * mm)} m {_pt(95 * mm)} {_pt(80 * mm)} l S"

    def text(self, size: int, x: float, y: float, value: str) -> str:
        return (f"BT {self.font_ref} {size} Tf 1 0 0 1 {_pt(x)} {_pt(y)} Tm "
                f"{_pdf_string(value)} Tj ET")

    def right(self, size: int, x: float, y: float, value: str) -> str:
        return self.text(size, x - self.font.stringWidth(value, size), y, value)

    def render(self, lb: LabelData) -> str:
        t = self.text
        return "\n".join((
            "0 g 0 G",
            t(12, 5 * mm, 140 * mm, CARRIER_NAMES.get(lb.carrier, lb.carrier)),
            self.right(9, 95 * mm, 140 * mm, lb.wave),
            _barcode(lb.tracking_no, x=5 * mm, y=118 * mm, height=16 * mm, bar=0.38 * mm),
            t(14, 8 * mm, 111 * mm, lb.tracking_no),
            t(10, 5 * mm, 98 * mm, f"收 {lb.receiver_name}  {lb.receiver_phone}"),
            t(10, 5 * mm, 92 * mm, lb.receiver_address[:40]),
            t(10, 5 * mm, 86 * mm, lb.receiver_address[40:80]),
            t(8, 5 * mm, 74 * mm, f"寄 {lb.sender}"),
            t(8, 5 * mm, 66 * mm, f"订单 {lb.order_ref}  包裹 {lb.package}  {lb.weight_g} g"),
            t(8, 5 * mm, 60 * mm, lb.contents[:60]),
            self.rule,
        ))


def labels_pdf(labels: list[LabelData]) -> bytes:
    """One 100 × 150 mm page per label.  reportlab builds the document (pages, fonts,
    cross-reference table); the page contents are written by :class:`_LabelPage`."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=LABEL_SIZE, pageCompression=0)
    c.setTitle("shipping labels")
    c.setFont(FONT, 12)  # registers the font with the document (and its resource name)
    page = _LabelPage(c._doc.getInternalFontName(FONT))  # noqa: SLF001
    for lb in labels:
        c._code.append(page.render(lb))  # noqa: SLF001 — raw content stream
        c.showPage()
    c.save()
    return buf.getvalue()


def picklist_pdf(*, title: str, subtitle: str, rows: list[dict]) -> bytes:
    """``rows``: {position, bin_location, sku, name, quantity, orders_count}."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    c.setTitle(title)
    width, height = A4
    y = height - 20 * mm

    def header():
        nonlocal y
        c.setFont(FONT, 14)
        c.drawString(15 * mm, y, title)
        y -= 6 * mm
        c.setFont(FONT, 9)
        c.drawString(15 * mm, y, subtitle)
        y -= 8 * mm
        for x, text in ((15, "#"), (25, "库位 Bin"), (55, "SKU"), (100, "品名 Name"),
                        (160, "数量 Qty"), (180, "订单 Orders")):
            c.drawString(x * mm, y, text)
        y -= 5 * mm

    header()
    for r in rows:
        if y < 20 * mm:
            c.showPage()
            y = height - 20 * mm
            header()
        c.setFont(FONT, 9)
        for x, text in ((15, str(r["position"])), (25, r["bin_location"] or "—"), (55, r["sku"]),
                        (100, (r["name"] or "")[:28]), (160, str(r["quantity"])),
                        (180, str(r["orders_count"]))):
            c.drawString(x * mm, y, text)
        y -= 5 * mm
    c.showPage()
    c.save()
    return buf.getvalue()


def wave_picklist_pdf(wave) -> bytes:
    rows = [{"position": pl.position, "bin_location": pl.bin_location, "sku": pl.sku.code,
             "name": pl.sku.name, "quantity": pl.quantity, "orders_count": pl.orders_count}
            for pl in wave.pick_lines.select_related("sku").order_by("position")]
    subtitle = (f"{wave.warehouse.name} · {wave.carrier} · {wave.get_kind_display()} · "
                f"{wave.orders_count} orders · {wave.units} units")
    return picklist_pdf(title=f"拣货单 Pick list {wave.code}", subtitle=subtitle, rows=rows)
