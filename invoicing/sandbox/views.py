"""Sandbox tax gateway views (mounted at ``/sandbox/tax/`` when LIUZHUAN_SANDBOX is on).

* ``POST invoices/`` — issue a blue 数电 invoice; validation in ``rules`` (independent
  of our pre-check); idempotent by ``requestId``: the same id always gets the same
  invoice, never a second one.
* ``GET invoices/<requestId>/`` — query.
* ``POST red/`` — red-letter: 红字确认单 auto-confirmed (natural person / not yet
  入账 → 无需确认) and the red invoice issued at once, full or per line.
* ``GET files/<number>.pdf|xml`` — the documents.
* Over 5 calls in any sliding second → 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from invoicing.models import SellerEntity, TaxCode

from . import rules, store

RED_REASONS = {"1", "2", "3", "4"}


def _error(code: str, describe: str, status: int = 400, field: str = "") -> JsonResponse:
    return JsonResponse({"code": code, "describe": describe, "field": field}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def _ok(result: dict) -> JsonResponse:
    return JsonResponse({"code": "E0000", "describe": "成功", "result": result},
                        json_dumps_params={"ensure_ascii": False})


def rate_limited(view):
    def wrapped(request, *args, **kwargs):
        admitted, wait = store.admit()
        if not admitted:
            response = _error("E0429", "请求过于频繁", status=429)
            response["Retry-After"] = f"{wait:.3f}"
            return response
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return csrf_exempt(wrapped)


def _body(request) -> dict | None:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _catalogue(code: str):
    row = TaxCode.objects.filter(code=code).values_list("valid_from", "valid_to").first()
    return row


def _seller_limit(tax_id: str):
    return (SellerEntity.objects.filter(tax_id=tax_id).values_list("per_invoice_limit", flat=True)
            .first())


def _number() -> str:
    # 数电 invoice number: 20 digits = 2-digit year + 2-digit region + 1 + 15-digit sequence.
    now = timezone.localtime()
    return f"{now:%y}31" + "1" + f"{store.next_number():015d}"


def _issue(request, doc: dict, *, direction: str, totals: tuple, blue: str = "") -> dict:
    number = _number()
    base = request.build_absolute_uri("/sandbox/tax/files/")
    return {
        "requestId": doc["requestId"], "invoiceNo": number, "direction": direction,
        "blueInvoiceNumber": blue, "issuedAt": timezone.now().isoformat(),
        "taxExcludedAmount": str(totals[0]), "tax": str(totals[1]),
        "taxIncludedAmount": str(totals[2]),
        "pdfUrl": f"{base}{number}.pdf", "xmlUrl": f"{base}{number}.xml",
        "buyerName": doc.get("buyerName", ""), "buyerTaxNum": doc.get("buyerTaxNum", ""),
        "invoiceDetail": doc.get("invoiceDetail", []),
    }


@rate_limited
@require_POST
def submit(request):
    doc = _body(request)
    if doc is None:
        return _error("E9001", "请求体不是JSON对象")
    if doc.get("requestId") and (done := store.load(str(doc["requestId"]))):
        return _ok(done)
    try:
        rules.validate_invoice(doc, catalogue=_catalogue, seller_limit=_seller_limit,
                               today=timezone.localdate())
    except rules.Reject as exc:
        return _error(exc.code, exc.describe, field=exc.field)
    totals = (doc["taxExcludedAmount"], doc["tax"], doc["taxIncludedAmount"])
    return _ok(store.save_once(str(doc["requestId"]), _issue(request, doc, direction="blue",
                                                              totals=totals)))


@rate_limited
@require_GET
def query(request, request_id: str):
    done = store.load(request_id)
    if not done:
        return _error("E1501", "未找到该流水号的发票", status=404)
    return _ok(done)


def _red_lines(blue: dict, detail) -> tuple[list[dict], tuple]:
    lines = blue["invoiceDetail"]
    used = store.red_used(blue["invoiceNo"])
    if detail is None:
        if used:
            raise rules.Reject("bad_request", "detail", "已部分冲红，不能全额冲红")
        picked = [(line["index"], line["taxExcludedAmount"], line["tax"], line["taxIncludedAmount"])
                  for line in lines]
    else:
        picked = [(d.get("blueDetailIndex"), d.get("taxExcludedAmount"), d.get("tax"),
                   d.get("taxIncludedAmount")) for d in detail]
    out, sums = [], [Decimal("0")] * 3
    for index, amount, tax, total in picked:
        match = next((x for x in lines if str(x["index"]) == str(index)), None)
        if match is None:
            raise rules.Reject("bad_request", "detail", f"蓝票无第{index}行")
        try:
            values = [abs(Decimal(str(v))) for v in (amount, tax, total)]
        except (InvalidOperation, ValueError):
            raise rules.Reject("bad_request", "detail", "金额格式错误") from None
        already = Decimal(used.get(str(index), "0"))
        if values[2] + already > Decimal(match["taxIncludedAmount"]):
            raise rules.Reject("bad_request", "detail", f"第{index}行冲红金额超过蓝票")
        out.append({"index": index, "total": values[2], "already": already})
        sums = [s + v for s, v in zip(sums, values, strict=True)]
    return out, tuple(-s for s in sums)


@rate_limited
@require_POST
def red(request):
    doc = _body(request)
    if doc is None or not doc.get("requestId"):
        return _error("E9001", "请求参数错误")
    if done := store.load(str(doc["requestId"])):
        return _ok(done)
    if str(doc.get("redReason")) not in RED_REASONS:
        return _error("E1601", "冲红原因无效", field="redReason")
    blue = store.load_by_number(str(doc.get("blueInvoiceNumber", "")))
    if not blue or blue.get("direction") != "blue":
        return _error("E1602", "蓝字发票不存在", field="blueInvoiceNumber")
    try:
        picked, totals = _red_lines(blue, doc.get("detail"))
    except rules.Reject as exc:
        return _error(exc.code, exc.describe, field=exc.field)
    issued = store.save_once(str(doc["requestId"]), _issue(
        request, {"requestId": doc["requestId"], "buyerName": blue["buyerName"],
                  "buyerTaxNum": blue["buyerTaxNum"]},
        direction="red", totals=totals, blue=blue["invoiceNo"]))
    if issued["requestId"] == doc["requestId"] and issued["invoiceNo"]:
        for p in picked:
            store.add_red_used(blue["invoiceNo"], str(p["index"]), str(p["total"] + p["already"]))
    return _ok(issued)


@require_GET
def document(request, number: str, ext: str):
    doc = store.load_by_number(number)
    if not doc:
        return _error("E1501", "发票不存在", status=404)
    if ext == "xml":
        body = (f'<?xml version="1.0" encoding="UTF-8"?><EInvoice><InvoiceNumber>{number}'
                f'</InvoiceNumber><TotalTax-includedAmount>{doc["taxIncludedAmount"]}'
                "</TotalTax-includedAmount></EInvoice>")
        return HttpResponse(body, content_type="application/xml")
    return HttpResponse(_pdf(doc), content_type="application/pdf")


def _pdf(doc: dict) -> bytes:
    from io import BytesIO

    from reportlab.pdfgen import canvas

    buf = BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 760, f"Sandbox e-invoice {doc['invoiceNo']} ({doc['direction']})")
    c.drawString(72, 740, f"Total {doc['taxIncludedAmount']}  Buyer tax id {doc['buyerTaxNum']}")
    c.save()
    return buf.getvalue()
