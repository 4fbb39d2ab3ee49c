"""Invoicing data: catalogue, seller entities, buyer tax profiles, invoice requests.

An ``InvoiceRequest`` is what finance asks for (one order, one buyer, one kind);
its ``plan`` may need several invoices (splitting), each an ``Invoice`` row that
doubles as the outbox row for the tax gateway: the relay claims it, sends it
with its own ``request_id`` (the gateway's idempotency key) and records every
``GatewayAttempt``.  Red-letter invoices are ``Invoice`` rows with
``direction=red`` pointing at their blue invoice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

MONEY = {"max_digits": 14, "decimal_places": 2}


class Exemption(models.TextChoices):
    NONE = "none", _("Taxable")
    EXEMPT = "exempt", _("Exempt (免税)")
    NON_TAXABLE = "non_taxable", _("Non-taxable (不征税)")
    ZERO_RATED = "zero_rated", _("Zero-rated (零税率)")


class TaxCode(models.Model):
    """One entry of the official goods and services tax-classification catalogue."""

    code = models.CharField(_("code"), max_length=19, unique=True)
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=4, default=0)
    exemption = models.CharField(
        _("exemption"), max_length=12, choices=Exemption.choices, default=Exemption.NONE
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("tax code")
        verbose_name_plural = _("tax codes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.short_name or self.name}"


class InvoiceKind(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary (数电普票)")
    SPECIAL = "special", _("Special (数电专票)")


class SellerEntity(models.Model):
    """The legal entity that issues invoices, with its own limits.

    ``per_invoice_limit`` is the highest pre-tax (不含税) amount one invoice may
    carry; the official tier names are ambiguous (research §8.4), so it is a
    plain Decimal configured per entity.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    tax_id = models.CharField(_("taxpayer id"), max_length=20)
    per_invoice_limit = models.DecimalField(_("per-invoice limit (pre-tax)"), **MONEY)
    max_lines_ordinary = models.PositiveIntegerField(_("max lines, ordinary"), default=2000)
    max_lines_special = models.PositiveIntegerField(_("max lines, special"), default=2000)
    shipping_tax_code = models.ForeignKey(
        TaxCode, verbose_name=_("tax code for shipping"), to_field="code", null=True,
        blank=True, on_delete=models.PROTECT, related_name="+",
    )
    is_default = models.BooleanField(_("default"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("seller entity")
        verbose_name_plural = _("seller entities")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="seller_single_default"
            ),
            models.CheckConstraint(condition=Q(per_invoice_limit__gt=0), name="seller_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def max_lines(self, kind: str) -> int:
        return self.max_lines_special if kind == InvoiceKind.SPECIAL else self.max_lines_ordinary


class TitleType(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    ENTERPRISE = "enterprise", _("Enterprise")


class TaxProfile(models.Model):
    """A buyer's invoicing title.  ``tax_id`` is a string: upper-cased and trimmed, nothing else."""

    customer = models.ForeignKey(
        "orders.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="tax_profiles",
    )
    title_type = models.CharField(_("title type"), max_length=12, choices=TitleType.choices)
    name = models.CharField(_("buyer name"), max_length=200)
    tax_id = models.CharField(_("taxpayer id"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    bank = models.CharField(_("bank"), max_length=200, blank=True)
    account = models.CharField(_("account"), max_length=64, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("tax profile")
        verbose_name_plural = _("tax profiles")
        ordering = ["-updated_at", "-id"]
        permissions = [
            ("export_taxprofile", _("Can export tax profiles (personal data)")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "name", "tax_id"], name="taxprofile_unique_customer_title"
            ),
        ]
        indexes = [models.Index(fields=["tax_id"], name="taxprofile_tax_id_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.tax_id}".strip()


class TaxProfileVersion(models.Model):
    """History: the profile as it was before each edit (append-only)."""

    profile = models.ForeignKey(TaxProfile, related_name="history", on_delete=models.CASCADE)
    version = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("data"))
    changed = models.JSONField(_("changed fields"), default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tax profile version")
        verbose_name_plural = _("tax profile history")
        ordering = ["profile_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "version"], name="taxprofileversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} v{self.version}"


class OrderTaxProfile(models.Model):
    """Which profile an order invoices to, found automatically (customer or channel fields)."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="tax_link")
    profile = models.ForeignKey(TaxProfile, on_delete=models.PROTECT, related_name="order_links")
    source = models.CharField(_("source"), max_length=16)  # customer | channel | manual
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order tax profile link")
        verbose_name_plural = _("order tax profile links")

    def __str__(self) -> str:
        return f"{self.order_id} → {self.profile_id}"


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PRECHECKED = "prechecked", _("Pre-checked")
    SUBMITTED = "submitted", _("Submitted")
    ISSUED = "issued", _("Issued")
    REJECTED = "rejected", _("Rejected")
    RED_FLUSHED = "red_flushed", _("Red-flushed")


R = RequestStatus


class InvoiceRequest(ConcurrentTransitionMixin, models.Model):
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT,
        related_name="invoice_requests",
    )
    seller = models.ForeignKey(SellerEntity, verbose_name=_("seller"), on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=10, choices=InvoiceKind.choices)
    profile = models.ForeignKey(
        TaxProfile, verbose_name=_("profile"), on_delete=models.PROTECT, null=True, blank=True
    )
    buyer = models.JSONField(_("buyer (as sent)"), default=dict)
    remark = models.CharField(_("remark"), max_length=400, blank=True)
    status = FSMField(_("status"), max_length=12, choices=R.choices, default=R.DRAFT, protected=True)
    precheck = models.JSONField(_("pre-check"), default=dict)
    plan = models.JSONField(_("plan"), default=list)
    problem_codes = models.JSONField(_("problem codes"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("invoice request")
        verbose_name_plural = _("invoice requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="invreq_status_created_idx")]
        permissions = [
            ("submit_invoicerequest", _("Can submit invoice requests to the tax gateway")),
            ("red_invoice", _("Can issue red-letter invoices")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.status}"

    @transition(field=status, source=R.DRAFT, target=R.PRECHECKED)
    def pass_precheck(self):
        pass

    @transition(field=status, source=R.PRECHECKED, target=R.DRAFT)
    def reopen(self):
        pass

    @transition(field=status, source=R.PRECHECKED, target=R.SUBMITTED)
    def submit(self):
        pass

    @transition(field=status, source=R.SUBMITTED, target=R.ISSUED)
    def mark_issued(self):
        pass

    @transition(field=status, source=R.SUBMITTED, target=R.REJECTED)
    def mark_rejected(self):
        pass

    @transition(field=status, source=R.ISSUED, target=R.RED_FLUSHED)
    def mark_red_flushed(self):
        pass


class Direction(models.TextChoices):
    BLUE = "blue", _("Blue (normal)")
    RED = "red", _("Red-letter")


class InvoiceStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    ISSUED = "issued", _("Issued")
    REJECTED = "rejected", _("Rejected")


class RedReason(models.TextChoices):
    SALES_RETURN = "sales_return", _("Sales return (销货退回)")
    WRONG_INVOICE = "wrong_invoice", _("Wrong invoice (开票有误)")
    SERVICE_STOP = "service_stop", _("Service stopped (服务中止)")
    DISCOUNT = "discount", _("Sales discount (销售折让)")


# Gateway codes (Nuonuo ``redReason``): 1 销货退回, 2 开票有误, 3 服务中止, 4 销售折让.
RED_REASON_CODES = {
    RedReason.SALES_RETURN: "1", RedReason.WRONG_INVOICE: "2",
    RedReason.SERVICE_STOP: "3", RedReason.DISCOUNT: "4",
}


class Invoice(models.Model):
    """One invoice of a plan (or a red-letter invoice); also the gateway outbox row."""

    request = models.ForeignKey(InvoiceRequest, related_name="invoices", on_delete=models.PROTECT)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices,
                                 default=Direction.BLUE)
    blue = models.ForeignKey(
        "self", verbose_name=_("blue invoice"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="reds",
    )
    red_reason = models.CharField(_("red reason"), max_length=16, choices=RedReason.choices,
                                  blank=True)
    part = models.PositiveIntegerField(_("part"), default=1)
    parts = models.PositiveIntegerField(_("of parts"), default=1)
    gateway_request_id = models.CharField(_("gateway request id"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices,
                              default=InvoiceStatus.QUEUED, db_index=True)
    amount = models.DecimalField(_("amount (pre-tax)"), **MONEY)
    tax = models.DecimalField(_("tax"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)
    lines = models.JSONField(_("lines"), default=list)
    remark = models.CharField(_("remark"), max_length=400, blank=True)
    number = models.CharField(_("invoice number"), max_length=20, blank=True, db_index=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    pdf_url = models.URLField(_("PDF"), max_length=500, blank=True)
    xml_url = models.URLField(_("XML"), max_length=500, blank=True)
    reject_code = models.CharField(_("reject code"), max_length=32, blank=True)
    reject_message = models.CharField(_("reject message"), max_length=500, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    red_proposal = models.JSONField(_("red-letter proposal"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(direction="red") | Q(blue__isnull=True),
                                   name="invoice_only_red_has_blue"),
        ]

    def __str__(self) -> str:
        return self.number or self.request_id


class GatewayAttempt(models.Model):
    """Every HTTP exchange with the tax gateway, for the audit trail."""

    invoice = models.ForeignKey(Invoice, related_name="attempts", on_delete=models.CASCADE)
    operation = models.CharField(max_length=16)
    http_status = models.PositiveIntegerField(null=True)
    code = models.CharField(max_length=32, blank=True)
    message = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("gateway attempt")
        verbose_name_plural = _("gateway attempts")
        ordering = ["invoice_id", "id"]

    def __str__(self) -> str:
        return f"{self.operation} {self.http_status} {self.code}"


class InvoiceEvent(models.Model):
    """Append-only timeline of a request, written in the transaction of the change."""

    request = models.ForeignKey(InvoiceRequest, related_name="events", on_delete=models.CASCADE)
    type = models.CharField(_("type"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True, db_index=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)

    class Meta:
        verbose_name = _("invoice event")
        verbose_name_plural = _("invoice events")
        ordering = ["request_id", "id"]

    def __str__(self) -> str:
        return self.type


def new_request_id() -> str:
    return uuid.uuid4().hex
