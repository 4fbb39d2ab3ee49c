"""The inbound archive, and the sandbox platforms' document store.

Every message a platform pushes and every native document posted to us is kept
here as it arrived (raw bytes, headers without secrets), with what we made of
it.  Failed rows form the dead-letter list in the admin, where they can be
replayed.  Push messages are deduplicated by the platform's message id.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Duplicate")
    STALE = "stale", _("Stale (older than what we hold)")
    IGNORED = "ignored", _("Ignored (tag not handled)")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class Kind(models.TextChoices):
    PUSH = "push", _("Push message")
    DOCUMENT = "document", _("Native document")


FINAL_OUTCOMES = {Outcome.APPLIED, Outcome.DUPLICATE, Outcome.STALE, Outcome.IGNORED}


class InboundMessage(models.Model):
    platform = models.CharField(_("platform"), max_length=16, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    shop = models.ForeignKey(
        "orders.Shop", verbose_name=_("shop"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    shop_code = models.CharField(_("shop code"), max_length=64, blank=True)
    topic = models.CharField(_("tag / topic"), max_length=64, blank=True)
    msg_id = models.CharField(_("platform message id"), max_length=191, blank=True)
    channel_order_id = models.CharField(_("channel order id"), max_length=64, blank=True, db_index=True)
    body = models.BinaryField(_("raw body"))
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    signature_ok = models.BooleanField(_("signature ok"), null=True, help_text=_("empty: not signed"))
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    error = models.TextField(_("error"), blank=True)
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    seen_count = models.PositiveIntegerField(
        _("times received"), default=1, help_text=_("Copies of the same message id received")
    )
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "shop_code", "msg_id"],
                condition=~Q(msg_id=""),
                name="inbound_unique_platform_msg_id",
            )
        ]
        indexes = [
            models.Index(
                fields=["-received_at"], condition=Q(outcome="failed"), name="inbound_dead_letter_idx"
            ),
        ]
        permissions = [
            ("ingest_document", _("Can post native platform order documents")),
            ("replay_inboundmessage", _("Can replay inbound messages")),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.shop_code} {self.topic or self.kind} #{self.pk}"


class SandboxDocument(models.Model):
    """An order-detail document the sandbox gateways serve (filled by tests, demo, simulate)."""

    platform = models.CharField(_("platform"), max_length=16)
    app_key = models.CharField(_("app key"), max_length=128)
    order_id = models.CharField(_("order id"), max_length=64)
    body = models.TextField(_("document JSON"), help_text=_("Kept as text: big ids stay exact"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sandbox document")
        verbose_name_plural = _("sandbox documents")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "app_key", "order_id"], name="sandbox_document_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.order_id}"
