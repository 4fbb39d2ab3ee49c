"""Events out: outbox rows, subscriptions, deliveries, attempts, integration contracts.

The outbox is written in the transaction of the change it reports (``OutboxEvent`` plus
one ``Delivery`` per matching subscription), so a crash after commit can never lose an
event; the relay (``services/relay.py``) delivers from these rows only.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .event_types import EVENT_TYPES


class PayloadVariant(models.TextChoices):
    STANDARD = "standard", _("standard: order snapshot and the change")
    FULL = "full", _("full: standard plus order lines")
    COMPACT = "compact", _("compact: identifiers and status only")


class OrderNumberCharset(models.TextChoices):
    DIGITS = "digits", _("digits 0-9")
    ALNUM = "alnum", _("upper-case letters and digits")


class Contract(models.Model):
    """The implicit rules of one downstream endpoint (系统交互备忘录)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    system = models.CharField(_("system"), max_length=100, blank=True,
                              help_text=_("e.g. ERP, WMS, CRM and the vendor"))
    order_number_length = models.PositiveSmallIntegerField(
        _("order number length"), null=True, blank=True,
        help_text=_("Exact length of the order number this endpoint accepts; empty = our OID."),
    )
    order_number_prefix = models.CharField(_("order number prefix"), max_length=8, blank=True)
    order_number_charset = models.CharField(
        _("order number characters"), max_length=8, choices=OrderNumberCharset.choices,
        default=OrderNumberCharset.DIGITS,
    )
    max_requests_per_second = models.PositiveIntegerField(
        _("max requests per second"), null=True, blank=True,
        help_text=_("Shared by every worker; empty = unlimited."),
    )
    timeout_seconds = models.DecimalField(
        _("timeout (seconds)"), max_digits=5, decimal_places=2, default=10,
    )
    payload_variant = models.CharField(
        _("payload variant"), max_length=10, choices=PayloadVariant.choices,
        default=PayloadVariant.STANDARD,
    )
    max_body_bytes = models.PositiveIntegerField(
        _("max body size (bytes)"), null=True, blank=True,
        help_text=_("Refuse (do not send) bodies larger than this; empty = no limit."),
    )
    notes = models.TextField(_("memo"), blank=True,
                             help_text=_("Everything else agreed with the other side."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("integration contract (系统交互备忘录)")
        verbose_name_plural = _("integration contracts (系统交互备忘录)")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(order_number_length__isnull=True)
                | Q(order_number_length__gte=8, order_number_length__lte=64),
                name="contract_order_number_length_range",
            ),
            models.CheckConstraint(condition=Q(timeout_seconds__gt=0),
                                   name="contract_timeout_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class DownstreamOrderNumber(models.Model):
    """The order number one contract's endpoint knows an order by: derived once, stored."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="order_numbers")
    oid = models.UUIDField(_("OID"))
    number = models.CharField(_("order number"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("downstream order number")
        verbose_name_plural = _("downstream order numbers")
        constraints = [
            models.UniqueConstraint(fields=["contract", "oid"], name="downstream_number_one_per_oid"),
            models.UniqueConstraint(fields=["contract", "number"], name="downstream_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class Subscription(models.Model):
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200)
    event_types = ArrayField(
        models.CharField(max_length=40, choices=[(t, t) for t in EVENT_TYPES]),
        verbose_name=_("event types"), default=list, blank=True,
        help_text=_("Empty = every event type."),
    )
    active = models.BooleanField(_("active"), default=True)
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="subscriptions",
    )
    # Circuit breaker: after N retryable failures in a row the endpoint is left alone until
    # ``breaker_open_until``; then one probe delivery decides (half-open).
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    breaker_open_until = models.DateTimeField(_("paused until (circuit open)"), null=True,
                                              blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class OutboxEvent(models.Model):
    """One event that left (or will leave) the process; ``event_id`` is the body's ``id``."""

    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=40, db_index=True)
    oid = models.UUIDField(_("OID"), null=True, blank=True, db_index=True)
    data = models.JSONField(_("data"), default=dict)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed (not retried)")
    DEAD = "dead", _("dead-lettered (retries exhausted)")
    REFUSED = "refused", _("refused (contract violation)")


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class Delivery(models.Model):
    """One event to one subscription; ``id`` is the X-Liuzhuan-Delivery header."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"),
                                     on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), on_delete=models.CASCADE,
                              related_name="deliveries")
    # Copied from the event: the per-order ordering key and its sequence.
    oid = models.UUIDField(_("OID"), null=True, blank=True)
    seq = models.BigIntegerField(_("sequence"))
    event_type = models.CharField(_("event type"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    attempt_limit = models.PositiveIntegerField(
        _("attempt limit"), default=12,
        help_text=_("Dead-lettered when this many attempts failed; a manual retry raises it."),
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    body = models.TextField(_("body"), blank=True,
                            help_text=_("Built once at the first attempt; every retry sends it."))
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True,
                                                        blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    replay_of = models.ForeignKey("self", verbose_name=_("replay of"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-seq"]
        indexes = [
            # The relay's work queue and the per-order ordering check.
            models.Index(fields=["next_attempt_at"], name="delivery_due_idx",
                         condition=Q(status="pending")),
            models.Index(fields=["subscription", "oid", "seq"], name="delivery_open_order_idx",
                         condition=Q(status__in=["pending", "sending"])),
            models.Index(fields=["lease_until"], name="delivery_lease_idx",
                         condition=Q(status="sending")),
            models.Index(fields=["subscription", "-created_at"], name="delivery_sub_created_idx"),
            models.Index(fields=["oid"], name="delivery_oid_idx"),
        ]
        permissions = [("retry_delivery", _("Can retry and replay deliveries"))]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE,
                                 related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=DeliveryStatus.choices)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-id"]
        indexes = [models.Index(fields=["delivery", "number"], name="attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"


class SandboxReceiver(models.Model):
    """A fake ERP / WMS / CRM endpoint (sandbox only) and how it should answer."""

    class Mode(models.TextChoices):
        OK = "ok", _("answer 200")
        FAIL_503 = "503", _("answer 503")
        FAIL_400 = "400", _("answer 400")
        SLOW = "slow", _("answer 200 slowly")

    name = models.SlugField(_("name"), max_length=40, unique=True)
    secret = models.CharField(_("secret"), max_length=200)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.OK)
    fail_next = models.PositiveIntegerField(
        _("fail the next N requests"), default=0,
        help_text=_("With mode 503/400: only this many requests fail, then 200 again (0 = all)."),
    )
    slow_seconds = models.DecimalField(_("slow answer (seconds)"), max_digits=5, decimal_places=2,
                                       default=3)

    class Meta:
        verbose_name = _("sandbox receiver")
        verbose_name_plural = _("sandbox receivers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReceivedWebhook(models.Model):
    receiver = models.ForeignKey(SandboxReceiver, on_delete=models.CASCADE,
                                 related_name="received")
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    delivery_id = models.CharField(_("delivery id"), max_length=64, blank=True)
    event_id = models.CharField(_("event id"), max_length=64, blank=True)
    event_type = models.CharField(_("event type"), max_length=40, blank=True)
    oid = models.CharField(_("OID"), max_length=64, blank=True)
    signature_ok = models.BooleanField(_("signature valid"), default=False)
    answered = models.PositiveSmallIntegerField(_("answered with"))
    body = models.TextField(_("body"), blank=True)

    class Meta:
        verbose_name = _("received webhook (sandbox)")
        verbose_name_plural = _("received webhooks (sandbox)")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.receiver_id} {self.event_type} {self.answered}"
