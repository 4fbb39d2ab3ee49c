"""Red-letter invoices: full or by line, with a reason; proposals from order refunds."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound, ValidationFailed
from core.tasks_util import enqueue_on_commit
from invoicing.models import (
    Direction,
    Invoice,
    InvoiceRequest,
    InvoiceStatus,
    RedReason,
    new_request_id,
)
from invoicing.services.events import invoice_event_record
from invoicing.services.items import split_tax


def _remaining(blue: Invoice) -> dict[int, Decimal]:
    """Tax-inclusive amount still red-able per blue line position (1-based)."""
    left = {pos: Decimal(line["total"]) for pos, line in enumerate(blue.lines, start=1)}
    for red in blue.reds.exclude(status=InvoiceStatus.REJECTED):
        for line in red.lines:
            left[line["blue_index"]] += Decimal(line["total"])  # red totals are negative
    return left


def _red_line(blue_line: dict, pos: int, total: Decimal) -> dict:
    rate = Decimal(blue_line["rate"])
    if total == Decimal(blue_line["total"]):
        amount, tax = Decimal(blue_line["amount"]), Decimal(blue_line["tax"])
    else:
        amount, tax = split_tax(total, rate)
    return {**blue_line, "blue_index": pos, "amount": str(-amount), "tax": str(-tax),
            "total": str(-total), "quantity": None, "unit_price": None}


def _parse_lines(lines, blue: Invoice, left: dict[int, Decimal]) -> list[tuple[int, Decimal]]:
    if not lines:
        if any(left[p] != Decimal(line["total"]) for p, line in enumerate(blue.lines, 1)):
            raise Conflict(_("this invoice is already partly red-flushed; name the lines"),
                           code="already_partly_red")
        return [(p, left[p]) for p in left if left[p] > 0]
    picked = []
    for entry in lines:
        if not isinstance(entry, dict) or not isinstance(entry.get("index"), int) \
                or isinstance(entry.get("index"), bool):
            raise ValidationFailed(_("each line needs an integer index"), code="invalid_red_lines")
        pos = entry["index"]
        if pos not in left:
            raise ValidationFailed(_("the invoice has no line %(line)s") % {"line": pos}, code="invalid_red_lines")
        total = left[pos]
        if entry.get("total") is not None:
            try:
                total = Decimal(str(entry["total"])).quantize(Decimal("0.01"))
            except InvalidOperation:
                raise ValidationFailed(_("total must be a decimal string"),
                                       code="invalid_red_lines") from None
        if total <= 0 or total > left[pos]:
            raise Conflict(_("line %(line)s: at most %(left)s is left to red-flush") % {"line": pos, "left": left[pos]},
                           code="red_exceeds_blue")
        picked.append((pos, total))
    if len({p for p, _ in picked}) != len(picked):
        raise ValidationFailed(_("a line is named twice"), code="invalid_red_lines")
    return picked


def invoice_red_create(*, invoice_id: int, reason: str, lines: list | None = None, actor=None,
                       source: str = "api") -> Invoice:
    """Queue a red-letter invoice against an issued blue one (all of it, or named lines)."""
    from invoicing.tasks import invoice_send_task

    if reason not in RedReason.values:
        raise ValidationFailed(_("reason must be one of %(choices)s") % {"choices": ", ".join(RedReason.values)},
                               code="invalid_red_reason")
    with transaction.atomic():
        try:
            request_pk = Invoice.objects.values_list("request_id", flat=True).get(pk=invoice_id)
        except Invoice.DoesNotExist:
            raise NotFound(_("no such invoice"), code="invoice_not_found") from None
        request = InvoiceRequest.objects.select_for_update(of=("self",)).get(pk=request_pk)
        blue = Invoice.objects.select_for_update().get(pk=invoice_id)
        if blue.direction != Direction.BLUE or blue.status != InvoiceStatus.ISSUED:
            raise Conflict(_("only an issued blue invoice can be red-flushed"), code="not_red_able")
        left = _remaining(blue)
        picked = _parse_lines(lines, blue, left)
        if not picked:
            raise Conflict(_("nothing is left to red-flush"), code="nothing_to_red")
        red_lines = [_red_line(blue.lines[pos - 1], pos, total) for pos, total in picked]
        red = Invoice.objects.create(
            request=request, direction=Direction.RED, blue=blue, red_reason=reason,
            gateway_request_id=new_request_id(), lines=red_lines, remark=f"红冲 {blue.number}",
            amount=sum((Decimal(x["amount"]) for x in red_lines), Decimal("0")),
            tax=sum((Decimal(x["tax"]) for x in red_lines), Decimal("0")),
            total=sum((Decimal(x["total"]) for x in red_lines), Decimal("0")),
        )
        if blue.red_proposal:
            blue.red_proposal = None
            blue.save(update_fields=["red_proposal", "updated_at"])
        invoice_event_record(request=request, type="invoice.red_requested", actor=actor,
                             source=source,
                             payload={"blue": blue.number, "reason": reason,
                                      "lines": [p for p, _ in picked], "total": str(red.total)})
        enqueue_on_commit(invoice_send_task, red.pk)
    return red


def propose_red_on_refund(order, event) -> None:
    """``on_event_recorded`` handler: a refunded order proposes red-letter invoices.

    Runs inside the order's transaction.  Refunded lines → a partial proposal for
    the blue lines that came from them; the whole order → a full proposal.
    """
    if event.type != "order.refund_changed" or (event.payload or {}).get("to") != "refunded":
        return
    refunded = set(order.lines.filter(refund_status="refunded").values_list("line_no", flat=True))
    all_lines = set(order.lines.values_list("line_no", flat=True))
    full = not refunded or refunded == all_lines
    blues = (Invoice.objects.select_for_update()
             .filter(request__order=order, direction=Direction.BLUE, status=InvoiceStatus.ISSUED)
             .select_related("request"))
    for blue in blues:
        positions = None if full else [
            p for p, line in enumerate(blue.lines, 1) if line.get("line_no") in refunded
        ]
        if positions == []:
            continue
        blue.red_proposal = {"reason": RedReason.SALES_RETURN, "lines": positions,
                             "proposed_at": timezone.now().isoformat()}
        blue.save(update_fields=["red_proposal", "updated_at"])
        invoice_event_record(request=blue.request, type="invoice.red_proposed", source="system",
                             payload={"blue": blue.number, **blue.red_proposal})


def invoice_red_from_proposal(*, invoice_id: int, actor=None, source: str = "admin") -> Invoice:
    blue = Invoice.objects.filter(pk=invoice_id).first()
    if blue is None or not blue.red_proposal:
        raise Conflict(_("this invoice has no red-letter proposal"), code="no_red_proposal")
    lines = blue.red_proposal.get("lines")
    return invoice_red_create(
        invoice_id=invoice_id, reason=blue.red_proposal.get("reason", RedReason.SALES_RETURN),
        lines=[{"index": p} for p in lines] if lines else None, actor=actor, source=source,
    )
