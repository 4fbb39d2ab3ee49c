"""Swap order lines for substitute SKUs (the only code that edits ``OrderLine`` rows here).

The order row is locked (``order_lock``) and every change plus its
``order.lines_substituted`` timeline event commit together.  Quantities and prices stay
what the buyer paid on the platform; the substitute discount is owed back to the buyer
and recorded as a :class:`~orders.alerts.models.Compensation` by the caller.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import Conflict, ValidationFailed
from orders.choices import OrderStatus
from orders.models import OrderLine, Sku
from orders.services.events import order_event_record
from orders.services.transitions import order_lock

EDITABLE = (OrderStatus.PAID, OrderStatus.ON_HOLD, OrderStatus.APPROVED)


def order_lines_substitute(*, order_oid, swaps: dict[int, str], actor=None, source: str = "admin",
                           context: dict | None = None):
    """Replace the SKU of each line ``line_no → substitute SKU code``.

    Only lines whose current SKU lists the new one as a substitute may be swapped, and
    only before allocation (a reservation points at the line).  Returns the order.
    """
    if not swaps:
        raise ValidationFailed(_("nothing to substitute"), code="no_swaps")
    with transaction.atomic():
        order = order_lock(oid=order_oid)
        if order.status not in EDITABLE:
            raise Conflict(_("lines of an order in status %(status)s cannot change") % {"status": order.status},
                           code="lines_not_editable", details={"status": order.status})
        lines = {ln.line_no: ln for ln in OrderLine.objects.select_for_update(of=("self",))
                 .filter(order=order, line_no__in=list(swaps)).select_related("sku")}
        missing = sorted(set(swaps) - set(lines))
        if missing:
            raise ValidationFailed(_("no lines %(lines)s") % {"lines": missing}, code="unknown_line",
                                   details={"lines": missing})
        new_skus = {s.code: s for s in Sku.objects.filter(code__in=set(swaps.values()), active=True)}
        changes = []
        for line_no in sorted(swaps):
            line, code = lines[line_no], swaps[line_no]
            sub = new_skus.get(code)
            if sub is None or line.sku is None or not line.sku.substitutes.filter(pk=sub.pk).exists():
                raise ValidationFailed(_("%(sku)s is not a substitute of line %(line)s") % {"sku": code, "line": line_no},
                                       code="not_a_substitute",
                                       details={"line_no": line_no, "sku": code})
            changes.append({"line_no": line_no, "from_sku": line.sku.code, "to_sku": sub.code,
                            "from_title": line.title, "quantity": line.quantity})
            line.substituted_from = line.substituted_from or line.merchant_code
            line.sku, line.merchant_code, line.title = sub, sub.code, sub.name[:255]
        OrderLine.objects.bulk_update([lines[n] for n in sorted(swaps)],
                                      ["sku", "merchant_code", "title", "substituted_from"])
        order_event_record(order=order, type="order.lines_substituted", actor=actor,
                           source=source, payload={"lines": changes, **(context or {})})
        return order
