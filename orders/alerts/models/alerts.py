"""Alerts: one row per anomaly of an order (or of something else, keyed by ``key``).

Opening is idempotent in the database: a partial unique index allows one *open*
(not resolved) alert per (order, kind) — detectors insert with ``ON CONFLICT DO
NOTHING`` and never read first.  Resolution is automatic: a detector run closes the
open alerts whose order is no longer a candidate.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.choices import OrderStatus


class AlertKind(models.TextChoices):
    STUCK = "stuck", _("Stuck (state SLA exceeded)")
    STATUS_MISMATCH = "status_mismatch", _("Status mismatch with the channel")
    UNKNOWN_SKU = "unknown_sku", _("Unknown SKU")
    ADDRESS_SUSPECT = "address_suspect", _("Suspicious address")
    DUPLICATE_SUSPECT = "duplicate_suspect", _("Suspected duplicate order")
    DELIVERY_FAILING = "delivery_failing", _("Event delivery failing")
    INVOICE_REJECTED = "invoice_rejected", _("Invoice rejected")
    RECONCILE_GAP = "reconcile_gap", _("Reconciliation gap")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


OPEN_Q = Q(resolved_at__isnull=True)


class Alert(models.Model):
    kind = models.CharField(_("kind"), max_length=24, choices=AlertKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices,
                                default=Severity.MEDIUM)
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.CASCADE,
                              null=True, blank=True, related_name="alerts")
    key = models.CharField(_("subject key"), max_length=128, blank=True, default="",
                           help_text=_("What the alert is about when it is not an order."))
    status = models.CharField(_("status"), max_length=12, choices=AlertStatus.choices,
                              default=AlertStatus.OPEN)
    details = models.JSONField(_("details"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"),
                                        on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+")
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"),
                                    on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", help_text=_("Empty: resolved automatically."))
    resolution = models.CharField(_("resolution"), max_length=255, blank=True, default="")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"),
                                 on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="assigned_alerts")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True,
                                        help_text=_("When alert.opened went to the outbox."))

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"],
                                    condition=Q(resolved_at__isnull=True, order__isnull=False),
                                    name="alert_one_open_per_order_kind"),
            models.UniqueConstraint(fields=["kind", "key"],
                                    condition=Q(resolved_at__isnull=True, order__isnull=True),
                                    name="alert_one_open_per_key_kind"),
            models.CheckConstraint(
                condition=(Q(status="resolved", resolved_at__isnull=False)
                           | (~Q(status="resolved") & Q(resolved_at__isnull=True))),
                name="alert_status_matches_resolved_at",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "opened_at"], condition=Q(resolved_at__isnull=True),
                         name="alert_open_kind_idx"),
            models.Index(fields=["-opened_at", "-id"], name="alert_opened_idx"),
            models.Index(fields=["id"], condition=Q(published_at__isnull=True),
                         name="alert_unpublished_idx"),
        ]
        permissions = [
            ("acknowledge_alert", _("Can acknowledge and assign alerts")),
            ("run_detection", _("Can run alert detection now")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class StuckRule(models.Model):
    """Service level of one order state: an order in ``status`` longer than
    ``max_minutes`` (or, with ``use_promised_ship_by``, past its promised ship-by time
    plus ``max_minutes``) is stuck."""

    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, unique=True)
    max_minutes = models.PositiveIntegerField(_("minutes allowed"), default=30)
    use_promised_ship_by = models.BooleanField(
        _("measure from promised ship-by"), default=False,
        help_text=_("Stuck when the promised ship-by time plus the minutes has passed."),
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices,
                                default=Severity.MEDIUM)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stuck-order SLA")
        verbose_name_plural = _("stuck-order SLAs")
        ordering = ["status"]

    def __str__(self) -> str:
        if self.use_promised_ship_by:
            return f"{self.status}: ship-by + {self.max_minutes} min"
        return f"{self.status} > {self.max_minutes} min"


class AlertNotificationRule(models.Model):
    """E-mail the members of ``group`` when an alert of ``kind`` (blank: any) at or above
    ``min_severity`` opens.  Django mail (console backend in development)."""

    kind = models.CharField(_("kind"), max_length=24, choices=AlertKind.choices, blank=True,
                            help_text=_("Empty: every kind."))
    min_severity = models.CharField(_("minimum severity"), max_length=10,
                                    choices=Severity.choices, default=Severity.HIGH)
    group = models.ForeignKey("auth.Group", verbose_name=_("group"), on_delete=models.CASCADE)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("alert e-mail rule")
        verbose_name_plural = _("alert e-mail rules")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind or '*'} ≥ {self.min_severity} → {self.group}"


class DirtyOrder(models.Model):
    """Orders whose alerts must be re-evaluated (written by the order hooks: one
    ``INSERT … ON CONFLICT DO NOTHING`` per transaction, drained set-based)."""

    order_id = models.BigIntegerField(primary_key=True)
    marked_at = models.DateTimeField(_("marked at"))

    class Meta:
        verbose_name = _("order to re-check")
        verbose_name_plural = _("orders to re-check")

    def __str__(self) -> str:
        return f"order {self.order_id}"
