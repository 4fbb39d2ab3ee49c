"""The inbound archive, and the sandbox platforms' document store.

Every message a platform pushes and every native document posted to us is kept
here as it arrived (raw bytes, headers without secrets), with what we made of
it.  Failed rows form the dead-letter list in the admin, where they can be
replayed.  Push messages are deduplicated by the platform's message id.
"""

from __future__ import annotations

from django.conf import settings
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
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("posted by"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+", help_text=_("The API user who posted a document accepted for later"),
    )

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
            # Documents accepted with ``Prefer: respond-async`` that no run has taken yet.
            models.Index(
                fields=["id"], condition=Q(kind="document", outcome="pending", attempts=0),
                name="inbound_pending_document_idx",
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
    modified = models.DateTimeField(_("platform modified time"), null=True, blank=True)
    visible_at = models.DateTimeField(
        _("listed from"), null=True, blank=True,
        help_text=_("When the platform's incremental list starts to show this version (index lag)"),
    )
    state = models.JSONField(_("sandbox state"), default=dict, blank=True)

    class Meta:
        verbose_name = _("sandbox document")
        verbose_name_plural = _("sandbox documents")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "app_key", "order_id"], name="sandbox_document_unique"
            )
        ]
        indexes = [models.Index(fields=["platform", "app_key", "modified"], name="sandbox_doc_modified_idx")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.order_id}"


class SandboxMessage(models.Model):
    """A message a sandbox platform pushes: a TMC queue entry (Taobao) or a Doudian push.

    TMC entries are handed out by ``taobao.tmc.messages.consume`` and redelivered until
    confirmed; Doudian entries are POSTed by the push sender.  Chaos (drop, duplicate,
    delay, reorder) is decided when a message is emitted.
    """

    platform = models.CharField(_("platform"), max_length=16)
    app_key = models.CharField(_("app key"), max_length=128)
    msg_id = models.CharField(_("message id"), max_length=191)
    topic = models.CharField(_("topic / tag"), max_length=64)
    order_id = models.CharField(_("order id"), max_length=64)
    content = models.TextField(_("content JSON"))
    available_at = models.DateTimeField(_("available from"))
    delivered_at = models.DateTimeField(_("last delivered"), null=True, blank=True)
    deliveries = models.PositiveIntegerField(_("deliveries"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed / sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox message")
        verbose_name_plural = _("sandbox messages")
        indexes = [
            models.Index(fields=["platform", "app_key", "available_at"], condition=Q(confirmed_at=None),
                         name="sandbox_msg_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.topic} {self.order_id}"


class PullCursor(models.Model):
    """How far a shop's incremental pull has got (survives restarts; moves only on success)."""

    shop = models.ForeignKey("orders.Shop", verbose_name=_("shop"), on_delete=models.CASCADE,
                             related_name="+")
    kind = models.CharField(_("kind"), max_length=16, default="increment")
    position = models.DateTimeField(_("pulled up to"), null=True, blank=True,
                                    help_text=_("End of the last window pulled completely"))
    leased_until = models.DateTimeField(_("busy until"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    orders_ingested = models.PositiveBigIntegerField(_("orders ingested"), default=0)

    class Meta:
        verbose_name = _("pull cursor")
        verbose_name_plural = _("pull cursors")
        constraints = [models.UniqueConstraint(fields=["shop", "kind"], name="pull_cursor_unique")]

    def __str__(self) -> str:
        return f"{self.shop_id}:{self.kind}"


class ReconcileStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ReconcileRun(models.Model):
    """One comparison of a platform's incremental list with the orders we hold."""

    shop = models.ForeignKey("orders.Shop", verbose_name=_("shop"), on_delete=models.PROTECT,
                             related_name="+")
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    trigger = models.CharField(_("trigger"), max_length=16, default="command")
    status = models.CharField(_("status"), max_length=12, choices=ReconcileStatus.choices,
                              default=ReconcileStatus.RUNNING)
    checked = models.PositiveIntegerField(_("orders checked"), default=0)
    missing_found = models.PositiveIntegerField(_("missing found"), default=0)
    missing_fixed = models.PositiveIntegerField(_("missing ingested"), default=0)
    stale_found = models.PositiveIntegerField(_("stale found"), default=0)
    stale_fixed = models.PositiveIntegerField(_("stale fixed"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    gaps = models.JSONField(_("gaps closed"), default=list, blank=True,
                            help_text=_("Orders found missing or outdated (first 500)"))
    error_log = models.TextField(_("error log"), blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-started_at", "-id"]
        permissions = [("run_reconcile", _("Can start a reconciliation run"))]

    def __str__(self) -> str:
        return f"reconcile #{self.pk} {self.shop_id}"
