"""The canonical order and its master data.

An order is identified to the outside world by ``oid`` only; the database binds
it one-to-one to (channel, shop, channel_order_id).  ``status`` is a protected
FSM field: it changes only through transition methods called by services in
``orders.services``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from .choices import (
    PRE_SHIPMENT,
    Channel,
    CustomerLevel,
    HoldReason,
    OrderStatus,
    RefundStatus,
)

MONEY = {"max_digits": 14, "decimal_places": 2}
S = OrderStatus


class Shop(models.Model):
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    app_key = models.CharField(_("app key"), max_length=128, blank=True)
    app_secret = models.CharField(_("app secret"), max_length=256, blank=True)
    access_token = models.CharField(_("access token"), max_length=512, blank=True)
    api_base_url = models.URLField(_("API base URL"), max_length=512, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def natural_key(self):
        return (self.code,)


class Customer(models.Model):
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    channel_buyer_id = models.CharField(_("channel buyer id"), max_length=128)
    nick = models.CharField(_("nickname"), max_length=128, blank=True)
    level = models.CharField(
        _("level"), max_length=16, choices=CustomerLevel.choices, default=CustomerLevel.NORMAL
    )
    blacklisted = models.BooleanField(_("blacklisted"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_buyer_id"], name="customer_unique_channel_buyer"
            )
        ]

    def __str__(self) -> str:
        return self.nick or self.channel_buyer_id


class Sku(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True, help_text=_("Merchant code"))
    name = models.CharField(_("name"), max_length=255)
    cold_chain = models.BooleanField(_("cold chain"), default=False)
    high_value = models.BooleanField(_("high value"), default=False)
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=0)
    tax_code = models.ForeignKey(
        "invoicing.TaxCode",
        verbose_name=_("tax code"),
        to_field="code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="skus",
    )
    substitutes = models.ManyToManyField(
        "self", verbose_name=_("substitutes"), symmetrical=False, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Order(ConcurrentTransitionMixin, models.Model):
    oid = models.UUIDField(_("OID"), default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    shop = models.ForeignKey(Shop, verbose_name=_("shop"), on_delete=models.PROTECT)
    channel_order_id = models.CharField(_("channel order id"), max_length=64)
    status = FSMField(
        _("status"), max_length=20, choices=S.choices, default=S.PENDING_PAYMENT, protected=True
    )
    channel_status = models.CharField(_("channel status"), max_length=64, blank=True)
    channel_modified_at = models.DateTimeField(_("channel modified at"), null=True, blank=True)
    channel_created_at = models.DateTimeField(_("channel created at"), null=True, blank=True)
    hold_reason = models.CharField(
        _("hold reason"), max_length=20, choices=HoldReason.choices, blank=True, default=""
    )
    refund_status = models.CharField(
        _("refund status"), max_length=12, choices=RefundStatus.choices, default=RefundStatus.NONE
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, null=True, blank=True
    )
    receiver_name = models.CharField(_("receiver name"), max_length=255, blank=True)
    receiver_phone = models.CharField(_("receiver phone"), max_length=255, blank=True)
    receiver_province = models.CharField(_("province"), max_length=64, blank=True)
    receiver_city = models.CharField(_("city"), max_length=64, blank=True)
    receiver_district = models.CharField(_("district"), max_length=64, blank=True)
    receiver_address = models.TextField(_("address"), blank=True)
    receiver_masked = models.BooleanField(_("receiver masked"), default=False)
    goods_amount = models.DecimalField(_("goods"), **MONEY, default=0)
    discount_amount = models.DecimalField(_("discount"), **MONEY, default=0)
    shipping_amount = models.DecimalField(_("shipping"), **MONEY, default=0)
    tax_amount = models.DecimalField(_("tax"), **MONEY, default=0)
    paid_amount = models.DecimalField(_("paid"), **MONEY, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    presale = models.BooleanField(_("presale"), default=False)
    cross_border = models.BooleanField(_("cross-border"), default=False)
    buyer_message = models.TextField(_("buyer message"), blank=True)
    seller_memo = models.TextField(_("seller memo"), blank=True)
    invoice_request = models.JSONField(_("channel invoice request"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    promised_ship_by = models.DateTimeField(_("promised ship by"), null=True, blank=True)
    priority_score = models.DecimalField(_("priority score"), max_digits=8, decimal_places=2, default=0)
    priority_breakdown = models.JSONField(_("priority breakdown"), default=list, blank=True)
    warehouse = models.ForeignKey(
        "warehouses.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    routing = models.JSONField(_("routing explanation"), default=dict, blank=True)
    carrier = models.CharField(_("carrier"), max_length=32, blank=True)
    tracking_no = models.CharField(_("tracking number"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "shop", "channel_order_id"], name="order_unique_channel_binding"
            ),
            models.CheckConstraint(
                condition=Q(goods_amount__gte=0)
                & Q(discount_amount__gte=0)
                & Q(shipping_amount__gte=0)
                & Q(paid_amount__gte=0),
                name="order_amounts_non_negative",
            ),
        ]
        # The staff list is ordered by (-created_at, -id); each single list filter has an
        # index that serves "filter + newest first" without sorting (chosen from EXPLAIN on
        # 1M rows, see bench/admin_scale.py).
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="order_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_created_idx"),
            models.Index(fields=["channel", "-created_at", "-id"], name="order_channel_created_idx"),
            models.Index(fields=["shop", "-created_at", "-id"], name="order_shop_created_idx"),
            models.Index(fields=["hold_reason", "-created_at", "-id"], name="order_hold_created_idx",
                         condition=~Q(hold_reason="")),
            models.Index(fields=["refund_status", "-created_at", "-id"],
                         name="order_refund_created_idx", condition=~Q(refund_status="none")),
            models.Index(fields=["channel_order_id"], name="order_channel_order_id_idx"),
            models.Index(fields=["receiver_phone"], name="order_receiver_phone_idx"),
            models.Index(fields=["-priority_score"], name="order_priority_idx"),
        ]
        permissions = [
            ("pay_order", _("Can confirm payment of an order")),
            ("approve_order", _("Can approve an order")),
            ("approve_order_second_level", _("Can give a second-level approval")),
            ("hold_order", _("Can put an order on hold")),
            ("release_order", _("Can release a held order")),
            ("allocate_order", _("Can allocate an order")),
            ("pick_order", _("Can start picking an order")),
            ("ship_order", _("Can ship an order")),
            ("deliver_order", _("Can mark an order delivered")),
            ("complete_order", _("Can complete an order")),
            ("cancel_order", _("Can cancel an order")),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.channel_order_id}"

    # ------------------------------------------------------------------ public transitions
    # Transition methods only change in-memory fields; services lock, save and record events.

    @transition(field=status, source=S.PENDING_PAYMENT, target=S.PAID, permission="orders.pay_order")
    def pay(self):
        pass

    @transition(
        field=status, source=[S.PAID, S.ON_HOLD], target=S.APPROVED, permission="orders.approve_order"
    )
    def approve(self):
        self.hold_reason = ""

    @transition(
        field=status, source=[S.PAID, S.APPROVED], target=S.ON_HOLD, permission="orders.hold_order"
    )
    def hold(self, reason: str = HoldReason.REVIEW):
        self.hold_reason = reason or HoldReason.REVIEW

    @transition(field=status, source=S.ON_HOLD, target=S.APPROVED, permission="orders.release_order")
    def release(self):
        self.hold_reason = ""

    @transition(
        field=status, source=S.APPROVED, target=S.ALLOCATED, permission="orders.allocate_order"
    )
    def allocate(self):
        pass

    @transition(field=status, source=S.ALLOCATED, target=S.PICKING, permission="orders.pick_order")
    def start_picking(self):
        pass

    @transition(
        field=status, source=[S.ALLOCATED, S.PICKING], target=S.SHIPPED, permission="orders.ship_order"
    )
    def ship(self, carrier: str = "", tracking_no: str = ""):
        if carrier:
            self.carrier = carrier
        if tracking_no:
            self.tracking_no = tracking_no

    @transition(field=status, source=S.SHIPPED, target=S.DELIVERED, permission="orders.deliver_order")
    def deliver(self):
        pass

    @transition(
        field=status, source=S.DELIVERED, target=S.COMPLETED, permission="orders.complete_order"
    )
    def complete(self):
        pass

    @transition(field=status, source=PRE_SHIPMENT, target=S.CANCELLED, permission="orders.cancel_order")
    def cancel(self):
        pass

    # ------------------------------------------------------------------ internal transitions

    @transition(field=status, source=S.ON_HOLD, target=S.PAID)
    def lift_channel_hold(self):
        """The platform lifted its own hold: the order goes back to review."""
        self.hold_reason = ""

    @transition(field=status, source=[S.ALLOCATED], target=S.APPROVED)
    def unallocate(self):
        """Stock released (rollback, re-routing)."""

    @transition(field=status, source=[S.PICKING], target=S.APPROVED)
    def return_to_approved(self):
        """An outbound batch was rolled back before the carrier took the parcel."""

    @transition(
        field=status,
        source="*",
        target=RETURN_VALUE(*[s for s in S.values]),
    )
    def sync_from_channel(self, target: str):
        """Move forward to what the platform says; the service decides it is a forward move."""
        if target != S.ON_HOLD:
            self.hold_reason = ""
        return target


class OrderLine(models.Model):
    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)
    line_no = models.PositiveIntegerField(_("line"))
    channel_line_id = models.CharField(_("channel line id"), max_length=64, blank=True)
    channel_sku_id = models.CharField(_("channel SKU id"), max_length=64, blank=True)
    merchant_code = models.CharField(_("merchant code"), max_length=64, blank=True)
    sku = models.ForeignKey(
        Sku, verbose_name=_("SKU"), on_delete=models.PROTECT, null=True, blank=True
    )
    title = models.CharField(_("title"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    refund_status = models.CharField(
        _("refund status"), max_length=12, choices=RefundStatus.choices, default=RefundStatus.NONE
    )
    # The merchant code the channel sent, when staff substituted another SKU for it (an
    # out-of-stock option): a later document with the same lines keeps the substitute.
    substituted_from = models.CharField(_("substituted for"), max_length=64, blank=True,
                                        default="", db_default="")

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="orderline_unique_line_no"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_no} {self.merchant_code} x{self.quantity}"


class OrderEvent(models.Model):
    """Append-only timeline: written in the same transaction as the change it records."""

    order = models.ForeignKey(Order, related_name="events", on_delete=models.CASCADE)
    type = models.CharField(_("type"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=64, blank=True, help_text=_("system, channel:<name>, api, admin")
    )
    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True, db_index=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["order_id", "id"]

    def __str__(self) -> str:
        return f"{self.type} @ {self.occurred_at:%Y-%m-%d %H:%M:%S}"
