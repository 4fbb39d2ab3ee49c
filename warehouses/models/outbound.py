"""Batch outbound: batches, their per-order step records, waves, pick lists and parcels.

The engines live in ``warehouses/services/outbound/``; these models hold data and the
invariants that make execution idempotent:

* ``BatchOrder`` (batch, order) is unique and carries the *step* the order reached —
  a resumed run continues from there and never repeats a step.
* ``Wave`` (batch, seq) is unique; waves are written in the same transaction as the
  orders' move to ``picking``, so a crash leaves either the wave and the moves or neither.
* ``Parcel.tracking_no`` is unique (a tracking number is never given to two parcels) and
  (batch order, package) is unique (a package gets one parcel, hence one label).
* ``SandboxWaybill`` is the state of the sandbox carrier (an outside system): a request
  key always yields the same number, so asking again after a crash cannot mint a second.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    EXECUTING = "executing", _("executing")
    DONE = "done", _("done")
    PARTIALLY_DONE = "partially_done", _("partially done")
    ROLLED_BACK = "rolled_back", _("rolled back")
    FAILED = "failed", _("failed")


class HandoverMode(models.TextChoices):
    SCAN = "scan", _("On carrier pickup scan (handover action)")
    AUTO = "auto", _("Automatically once labels are printed")


B = BatchStatus


class OutboundBatch(ConcurrentTransitionMixin, models.Model):
    """A set of orders turned into waves, pick lists, labels and tracking numbers.

    ``draft → executing → done | partially_done``; ``executing → failed`` on an unexpected
    error; ``partially_done | failed → executing`` retries the failed orders (resume);
    ``done | partially_done | failed | executing → rolled_back`` (compensation).
    """

    status = FSMField(_("status"), max_length=16, choices=BatchStatus.choices,
                      default=B.DRAFT, protected=True)
    name = models.CharField(_("name"), max_length=128, blank=True)
    source = models.CharField(_("source"), max_length=32, default="api")
    filter = models.JSONField(_("filter"), default=dict, blank=True,
                              help_text=_("The filter the batch was created from, if any."))
    carrier = models.CharField(_("carrier"), max_length=16, blank=True,
                               help_text=_("Blank: SF for cold-chain/high-value, else the "
                                           "warehouse's default carrier."))
    handover = models.CharField(_("handover"), max_length=8, choices=HandoverMode.choices,
                                default=HandoverMode.SCAN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    total = models.PositiveIntegerField(_("orders"), default=0)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_failed = models.PositiveIntegerField(_("failed"), default=0)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    error = models.TextField(_("error"), blank=True)
    rollback_report = models.JSONField(_("rollback report"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rolled_back_at = models.DateTimeField(_("rollback finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound batch")
        verbose_name_plural = _("outbound batches")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("execute_outboundbatch", _("Can execute outbound batches")),
            ("rollback_outboundbatch", _("Can roll back outbound batches")),
            ("handover_outboundbatch", _("Can record carrier handover")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name or ''} ({self.status})".replace("  ", " ")

    @transition(field=status, source=[B.DRAFT, B.PARTIALLY_DONE, B.FAILED], target=B.EXECUTING)
    def start(self):
        """Start, or retry the failed orders / resume after an error."""

    @transition(field=status, source=B.EXECUTING, target=B.DONE)
    def finish(self):
        pass

    @transition(field=status, source=B.EXECUTING, target=B.PARTIALLY_DONE)
    def finish_partially(self):
        pass

    @transition(field=status, source=B.EXECUTING, target=B.FAILED)
    def fail(self):
        pass

    @transition(field=status, source=[B.EXECUTING, B.DONE, B.PARTIALLY_DONE, B.FAILED],
                target=B.ROLLED_BACK)
    def roll_back(self):
        pass


class Step(models.TextChoices):
    """How far one order got; each step is written with the change it records."""

    PLANNED = "planned", _("planned")
    BLOCKED = "blocked", _("blocked")
    ALLOCATED = "allocated", _("stock reserved")
    WAVED = "waved", _("in a wave (picking)")
    TRACKED = "tracked", _("tracking number and label")
    SHIPPED = "shipped", _("handed over (shipped)")
    FAILED = "failed", _("failed")
    ROLLED_BACK = "rolled_back", _("rolled back")
    KEPT = "kept", _("not rolled back")


class BatchOrder(models.Model):
    batch = models.ForeignKey(OutboundBatch, verbose_name=_("batch"), on_delete=models.CASCADE,
                              related_name="items")
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT,
                              related_name="outbound_items")
    step = models.CharField(_("step"), max_length=12, choices=Step.choices, default=Step.PLANNED,
                            db_index=True)
    plan = models.JSONField(_("plan"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    entry = models.JSONField(_("state before the batch"), default=dict, blank=True,
                             encoder=DjangoJSONEncoder)
    priority_score = models.DecimalField(_("priority score"), max_digits=8, decimal_places=2,
                                         default=0)
    error_code = models.CharField(_("error code"), max_length=48, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("batch order")
        verbose_name_plural = _("batch orders")
        ordering = ["batch_id", "-priority_score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "order"], name="batchorder_unique_order"),
        ]
        indexes = [models.Index(fields=["batch", "step"], name="batchorder_batch_step")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.order_id} {self.step}"


class WaveKind(models.TextChoices):
    SINGLE_ITEM = "single_item", _("single-item orders (一单一件)")
    MULTI_ITEM = "multi_item", _("multi-item orders (一单多件)")
    HOT_SKU = "hot_sku", _("hot SKU (爆款)")


class WaveTemplate(models.Model):
    """How orders are grouped into waves, with caps (admin-editable; one per kind)."""

    kind = models.CharField(_("kind"), max_length=12, choices=WaveKind.choices, unique=True)
    max_orders = models.PositiveIntegerField(_("max orders"), default=200)
    max_lines = models.PositiveIntegerField(_("max lines"), default=400)
    max_weight_g = models.PositiveIntegerField(_("max weight (g)"), default=300_000)
    hot_min_orders = models.PositiveIntegerField(
        _("hot SKU threshold"), default=20,
        help_text=_("Hot SKU: at least this many single-SKU orders in one warehouse and carrier."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("wave template")
        verbose_name_plural = _("wave templates")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=Q(max_orders__gt=0) & Q(max_lines__gt=0)
                                   & Q(max_weight_g__gt=0), name="wavetemplate_caps_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≤{self.max_orders}/{self.max_lines}/{self.max_weight_g}g"


class WaveStatus(models.TextChoices):
    OPEN = "open", _("picking")
    DISSOLVED = "dissolved", _("dissolved (rolled back)")


class Wave(models.Model):
    batch = models.ForeignKey(OutboundBatch, verbose_name=_("batch"), on_delete=models.CASCADE,
                              related_name="waves")
    seq = models.PositiveIntegerField(_("number"))
    code = models.CharField(_("code"), max_length=32, unique=True)
    warehouse = models.ForeignKey("warehouses.Warehouse", verbose_name=_("warehouse"),
                                  on_delete=models.PROTECT, related_name="waves")
    carrier = models.CharField(_("carrier"), max_length=16)
    kind = models.CharField(_("template"), max_length=12, choices=WaveKind.choices)
    hot_sku = models.ForeignKey("orders.Sku", verbose_name=_("hot SKU"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=WaveStatus.choices,
                              default=WaveStatus.OPEN)
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    lines_count = models.PositiveIntegerField(_("lines"), default=0)
    units = models.PositiveIntegerField(_("units"), default=0)
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=0)
    labels_pdf = models.BinaryField(_("labels PDF"), null=True, blank=True, editable=False)
    labels_pages = models.PositiveIntegerField(_("label pages"), default=0)
    labels_digest = models.CharField(_("labels digest"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        ordering = ["batch_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "seq"], name="wave_unique_seq"),
        ]

    def __str__(self) -> str:
        return self.code


class PickListLine(models.Model):
    """One SKU to pick for a wave (aggregated over its parcels), in bin order."""

    wave = models.ForeignKey(Wave, verbose_name=_("wave"), on_delete=models.CASCADE,
                             related_name="pick_lines")
    position = models.PositiveIntegerField(_("position"))
    sku = models.ForeignKey("orders.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT,
                            related_name="+")
    bin_location = models.CharField(_("bin"), max_length=32, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    orders_count = models.PositiveIntegerField(_("orders"))

    class Meta:
        verbose_name = _("pick-list line")
        verbose_name_plural = _("pick-list lines")
        ordering = ["wave_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "sku"], name="picklistline_unique_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.wave_id}#{self.position} {self.sku_id}"


class ParcelStatus(models.TextChoices):
    PENDING = "pending", _("awaiting tracking number")
    LABELLED = "labelled", _("labelled")
    HANDED_OVER = "handed_over", _("handed over to the carrier")
    VOID = "void", _("void (cancelled)")


class Parcel(models.Model):
    """One package of one order (split orders have several): one label, one number."""

    item = models.ForeignKey(BatchOrder, verbose_name=_("batch order"), on_delete=models.CASCADE,
                             related_name="parcels")
    package = models.PositiveSmallIntegerField(_("package"), default=1)
    wave = models.ForeignKey(Wave, verbose_name=_("wave"), on_delete=models.PROTECT,
                             related_name="parcels")
    carrier = models.CharField(_("carrier"), max_length=16)
    # NULL until the carrier answers: unique among the numbers issued, many parcels without one.
    tracking_no = models.CharField(_("tracking number"), max_length=32, null=True,  # noqa: DJ001
                                   blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ParcelStatus.choices,
                              default=ParcelStatus.PENDING)
    lines = models.JSONField(_("lines"), default=list)
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=0)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        ordering = ["wave_id", "id"]
        constraints = [
            # One live parcel per package; voided ones stay as history (a retry makes anew).
            models.UniqueConstraint(fields=["item", "package"], condition=~Q(status="void"),
                                    name="parcel_unique_live_package"),
            models.UniqueConstraint(fields=["tracking_no"], condition=Q(tracking_no__isnull=False),
                                    name="parcel_unique_tracking_no"),
        ]

    def __str__(self) -> str:
        return self.tracking_no or f"parcel {self.pk}"


class OutboundFilter(models.Model):
    """A saved selection of the outbound queue to create batches from."""

    name = models.CharField(_("name"), max_length=128, unique=True)
    params = models.JSONField(
        _("parameters"), default=dict, blank=True,
        help_text=_('Keys: status, warehouse, channel, shop, min_score, province, limit. '
                    'Example: {"warehouse": "SH", "min_score": 20, "limit": 500}'))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved outbound filter")
        verbose_name_plural = _("saved outbound filters")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SandboxWaybill(models.Model):
    """State of the sandbox carrier (stands in for the carrier's own database)."""

    carrier = models.CharField(max_length=16)
    request_key = models.CharField(max_length=64)
    tracking_no = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=12, default="issued")  # issued|cancelled|picked_up
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox waybill")
        verbose_name_plural = _("sandbox waybills")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "request_key"],
                                    name="sandboxwaybill_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_no}"
