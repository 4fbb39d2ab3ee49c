"""Printable documents (reportlab, no browser): shipping labels and pick lists.

Rendering is CPU only — callers render *outside* transactions and store the bytes.
Labels: one PDF per wave, one 100 × 150 mm page per parcel (the thermal e-waybill size)
with a Code 128 barcode of the tracking number — written directly (see :func:`labels_pdf`)
with reportlab's barcode encoder, font dictionary and metrics.  Pick list: A4, SKUs in bin order.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import CIDFontInfo, UnicodeCIDFont, structToPDF
from reportlab.pdfbase.pdfdoc import PDFDocument
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


def _font_object() -> bytes:
    """The font dictionary reportlab writes for :data:`FONT` (a standard CJK font: named,
    not embedded), as resource ``/F1``."""
    font = pdfmetrics.getFont(FONT)
    info = dict(CIDFontInfo[font.face.name], Name="/F1", Encoding="/" + font.encodingName)
    return structToPDF(info).format(PDFDocument())


_FONT_OBJECT = _font_object()
_LABEL_PAGE = (f"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 {LABEL_SIZE[0]:.4f} "
               f"{LABEL_SIZE[1]:.4f} ] /Resources << /Font << /F1 3 0 R >> "
               "/ProcSet [ /PDF /Text ] >> /Contents %d 0 R >>")


class _PdfWriter:
    """Objects appended in number order, with the offsets the cross-reference table needs."""

    def __init__(self):
        self.parts = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
        self.pos = len(self.parts[0])
        self.offsets: list[int] = []

    def add(self, body: bytes) -> None:
        chunk = b"%d 0 obj\n%b\nendobj\n" % (len(self.offsets) + 1, body)
        self.offsets.append(self.pos)
        self.parts.append(chunk)
        self.pos += len(chunk)

    def finish(self, *, root: int, info: int) -> bytes:
        size = len(self.offsets) + 1
        self.parts.append(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        self.parts.append(b"".join(b"%010d 00000 n \n" % offset for offset in self.offsets))
        self.parts.append(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n"
                          b"%%%%EOF\n" % (size, root, info, self.pos))
        return b"".join(self.parts)


def labels_pdf(labels: list[LabelData]) -> bytes:
    """One 100 × 150 mm page per label.

    Thousands of labels per batch: the document is written directly (catalog, one shared
    font and page template, a page + content stream per label, cross-reference table) —
    reportlab's canvas formats every page dictionary through its generic object
    formatter, which cost more than drawing the label.  reportlab still supplies the
    Code 128 encoding, the font dictionary and its metrics."""
    page = _LabelPage("/F1")
    pdf = _PdfWriter()
    first = 5  # 1 catalog, 2 page tree, 3 font, 4 info; then page, contents, page, …
    kids = " ".join(f"{first + 2 * i} 0 R" for i in range(len(labels)))
    pdf.add(b"<< /Type /Catalog /Pages 2 0 R >>")
    pdf.add(f"<< /Type /Pages /Count {len(labels)} /Kids [ {kids} ] >>".encode())
    pdf.add(_FONT_OBJECT)
    pdf.add(b"<< /Title (shipping labels) /Producer (Liuzhuan outbound) >>")
    for i, lb in enumerate(labels):
        pdf.add((_LABEL_PAGE % (first + 2 * i + 1)).encode())
        stream = page.render(lb).encode("ascii")  # operands are escaped to ASCII
        pdf.add(b"<< /Length %d >>\nstream\n%b\nendstream" % (len(stream), stream))
    return pdf.finish(root=1, info=4)


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
