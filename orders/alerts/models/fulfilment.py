"""Inbound shipments, the fulfilment policy by customer level, and what was chosen.

``InboundShipment`` lives here for now: the warehouses app was being extended by
someone else when this was written; it can move there later (it references only
``warehouses.Warehouse`` and ``orders.Sku``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from orders.choices import CustomerLevel

MONEY = {"max_digits": 14, "decimal_places": 2}


class InboundStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class InboundShipment(models.Model):
    """Goods on their way to a warehouse (purchase order, transfer, return to stock)."""

    reference = models.CharField(_("reference"), max_length=64, unique=True)
    warehouse = models.ForeignKey("warehouses.Warehouse", verbose_name=_("warehouse"),
                                  on_delete=models.PROTECT, related_name="+")
    expected_date = models.DateField(_("expected date"))
    status = models.CharField(_("status"), max_length=10, choices=InboundStatus.choices,
                              default=InboundStatus.EXPECTED)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound shipment")
        verbose_name_plural = _("inbound shipments")
        ordering = ["expected_date", "id"]
        indexes = [models.Index(fields=["expected_date"], condition=Q(status="expected"),
                                name="inbound_expected_idx")]

    def __str__(self) -> str:
        return f"{self.reference} → {self.warehouse_id} @ {self.expected_date}"


class InboundLine(models.Model):
    """``promised``: units already promised to preorders (moved with ``F()`` only)."""

    shipment = models.ForeignKey(InboundShipment, verbose_name=_("shipment"),
                                 on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("orders.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT,
                            related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    promised = models.PositiveIntegerField(_("promised to preorders"), default=0)

    class Meta:
        verbose_name = _("inbound line")
        verbose_name_plural = _("inbound lines")
        ordering = ["shipment_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "sku"], name="inboundline_unique_sku"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inboundline_quantity_gt_0"),
            models.CheckConstraint(condition=Q(promised__lte=F("quantity")),
                                   name="inboundline_promised_lte_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} x{self.quantity} ({self.promised} promised)"

    @property
    def free(self) -> int:
        return self.quantity - self.promised


class FulfilmentPolicy(models.Model):
    """What an out-of-stock order of a customer level is offered, and what it costs us."""

    level = models.CharField(_("customer level"), max_length=16, choices=CustomerLevel.choices,
                             unique=True)
    offer_proactively = models.BooleanField(
        _("offer options proactively"), default=False,
        help_text=_("Compute the options into the out-of-stock alert as soon as it opens."),
    )
    preorder_coupon = models.DecimalField(_("preorder coupon (¥)"), **MONEY, default=0)
    substitute_discount_percent = models.DecimalField(
        _("substitute discount (%)"), max_digits=5, decimal_places=2, default=0)
    transfer_base_fee = models.DecimalField(_("transfer base fee (¥)"), **MONEY, default=12)
    transfer_fee_per_km = models.DecimalField(_("transfer fee per km (¥)"), max_digits=8,
                                              decimal_places=4, default="0.0500")
    transfer_km_per_day = models.PositiveIntegerField(_("transfer km per day"), default=600)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("fulfilment policy")
        verbose_name_plural = _("fulfilment policies")
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(
                condition=Q(substitute_discount_percent__gte=0, substitute_discount_percent__lte=100),
                name="fulfilmentpolicy_discount_range"),
            models.CheckConstraint(condition=Q(preorder_coupon__gte=0),
                                   name="fulfilmentpolicy_coupon_gte_0"),
            models.CheckConstraint(condition=Q(transfer_km_per_day__gt=0),
                                   name="fulfilmentpolicy_speed_gt_0"),
        ]

    def __str__(self) -> str:
        return self.get_level_display()


class OptionKind(models.TextChoices):
    TRANSFER = "transfer", _("Transfer from another warehouse or store")
    PREORDER = "preorder", _("Preorder against the next inbound, with a coupon")
    SUBSTITUTE = "substitute", _("Substitute SKU at a discount")


class FulfilmentDecision(models.Model):
    """One chosen option (append-only): what was offered, its cost, who chose it."""

    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="fulfilment_decisions")
    kind = models.CharField(_("kind"), max_length=12, choices=OptionKind.choices)
    option_id = models.CharField(_("option"), max_length=255)
    option = models.JSONField(_("option as offered"), default=dict)
    extra_cost = models.DecimalField(_("cost to us (¥)"), **MONEY, default=0)
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("chosen by"),
                                  on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    chosen_at = models.DateTimeField(_("chosen at"), auto_now_add=True)
    # A preorder's promise closed: its inbound was received, or the order was cancelled.
    released_at = models.DateTimeField(_("promise closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("fulfilment decision")
        verbose_name_plural = _("fulfilment decisions")
        ordering = ["-chosen_at", "-id"]
        permissions = [("choose_fulfilment_option", _("Can choose a fulfilment option"))]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.option_id}"


class CompensationKind(models.TextChoices):
    COUPON = "coupon", _("Coupon (preorder)")
    DISCOUNT = "discount", _("Discount refund (substitute)")


class Compensation(models.Model):
    """Money owed to the buyer for a fulfilment decision: a coupon to issue on the
    platform, or the substitute discount to refund there."""

    decision = models.ForeignKey(FulfilmentDecision, verbose_name=_("decision"),
                                 on_delete=models.CASCADE, related_name="compensations")
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="compensations")
    customer = models.ForeignKey("orders.Customer", verbose_name=_("customer"),
                                 on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=CompensationKind.choices)
    amount = models.DecimalField(_("amount (¥)"), **MONEY)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0),
                                              name="compensation_amount_gte_0")]

    def __str__(self) -> str:
        return f"{self.kind} ¥{self.amount}"
