"""Our invoice rows → the gateway's request documents (Nuonuo-style field names).

Strings go out exactly as stored: the taxpayer id is never re-formatted here.
"""

from __future__ import annotations

from decimal import Decimal

from invoicing.models import RED_REASON_CODES, Exemption, Invoice, InvoiceKind, TitleType

INVOICE_LINE = {InvoiceKind.ORDINARY: "pc", InvoiceKind.SPECIAL: "bs"}  # 数电普票 / 数电专票
FAVOURED = {Exemption.EXEMPT: "03", Exemption.NON_TAXABLE: "04"}


def joined(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _rate(text: str) -> str:
    value = Decimal(text)
    return "0" if value == 0 else f"{value.normalize():f}"


def submit_payload(invoice: Invoice) -> dict:
    request = invoice.request
    buyer = request.buyer
    details = []
    for pos, line in enumerate(invoice.lines, start=1):
        details.append({
            "index": pos,
            "goodsName": line["title"],
            "goodsCode": line["tax_code"],
            "taxRate": _rate(line["rate"]),
            "favouredPolicyFlag": FAVOURED.get(line["exemption"], ""),
            "zeroRateFlag": "3" if line["exemption"] == Exemption.ZERO_RATED else "",
            "withTaxFlag": "1",
            "num": line["quantity"] or "",
            "price": line["unit_price"] or "",
            "taxExcludedAmount": line["amount"],
            "tax": line["tax"],
            "taxIncludedAmount": line["total"],
            "invoiceLineProperty": "0",
        })
    return {
        "requestId": invoice.gateway_request_id,
        "invoiceLine": INVOICE_LINE[request.kind],
        "sellerTaxNum": request.seller.tax_id,
        "buyerName": buyer.get("name", ""),
        "buyerTaxNum": buyer.get("tax_id", ""),
        "buyerAddress": buyer.get("address", ""),
        "buyerTel": buyer.get("phone", ""),
        "buyerAccount": joined(buyer.get("bank", ""), buyer.get("account", "")),
        "email": buyer.get("email", ""),
        "naturalPersonFlag": "1" if buyer.get("title_type") == TitleType.PERSONAL else "0",
        "remark": invoice.remark,
        "orderNo": str(request.order.oid),
        "taxExcludedAmount": str(invoice.amount),
        "tax": str(invoice.tax),
        "taxIncludedAmount": str(invoice.total),
        "invoiceDetail": details,
    }


def red_payload(red: Invoice) -> dict:
    """Full red when it reverses the whole blue invoice; otherwise a per-line ``detail``."""
    body = {
        "requestId": red.gateway_request_id,
        "blueInvoiceNumber": red.blue.number,
        "redReason": RED_REASON_CODES[red.red_reason],
        "applySource": "0",
    }
    if red.total != -red.blue.total:
        body["detail"] = [
            {"blueDetailIndex": line["blue_index"], "taxExcludedAmount": line["amount"],
             "tax": line["tax"], "taxIncludedAmount": line["total"]}
            for line in red.lines
        ]
    return body
