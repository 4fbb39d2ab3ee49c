"""Admin-editable decision tables: routing rules, scoring policies, approval rules.

The models hold data and invariants only; the engines that read them live in
``warehouses/services/{routing,scoring,approval}.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class RoutingRuleKind(models.TextChoices):
    SKU_PIN = "sku_pin", _("SKU pinned to a warehouse")
    REGION = "region", _("Receiver province → warehouse")
    COLD_CHAIN = "cold_chain", _("Cold-chain capability")
    CAPACITY = "capacity", _("Capacity left today")
    SINGLE = "single", _("Single warehouse that ships everything")
    FEWEST_PACKAGES = "fewest_packages", _("Fewest packages (split when needed)")
    NEAREST = "nearest", _("Nearest to the receiver")


# Which keys each kind needs in ``params``.
ROUTING_PARAMS = {
    RoutingRuleKind.SKU_PIN: ("sku", "warehouse"),
    RoutingRuleKind.REGION: ("provinces", "warehouse"),
}


class RoutingRule(models.Model):
    """One step of the routing pipeline, applied in ``priority`` order (lower first).

    ``params``: ``sku_pin`` → ``{"sku": "SKU-1", "warehouse": "SH"}``;
    ``region`` → ``{"provinces": ["上海", "江苏"], "warehouse": "SH"}``; others → ``{}``.
    """

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=20, choices=RoutingRuleKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    priority = models.PositiveIntegerField(_("priority"), default=100,
                                           help_text=_("Lower runs first."))
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"{self.priority}: {self.name}"

    def clean(self):
        needed = ROUTING_PARAMS.get(self.kind, ())
        params = self.params if isinstance(self.params, dict) else None
        if params is None:
            raise ValidationError({"params": _("Parameters must be a JSON object.")})
        missing = [key for key in needed if not params.get(key)]
        if missing:
            raise ValidationError({"params": _("Missing: %s") % ", ".join(missing)})
        if self.kind == RoutingRuleKind.REGION and not isinstance(params["provinces"], list):
            raise ValidationError({"params": _("provinces must be a list of province names")})


class ScoringPolicy(models.Model):
    """A version of the priority matrix.  Versions are immutable once saved; editing in
    the admin publishes a new version, which becomes active and rescoring runs."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    active = models.BooleanField(_("active"), default=False)
    note = models.CharField(_("note"), max_length=255, blank=True)
    vip = models.SmallIntegerField(_("VIP customer"), default=30)
    gold = models.SmallIntegerField(_("gold customer"), default=20)
    silver = models.SmallIntegerField(_("silver customer"), default=10)
    due_2h = models.SmallIntegerField(_("ships within 2 h (or overdue)"), default=25)
    due_24h = models.SmallIntegerField(_("ships within 24 h"), default=10)
    cold_chain = models.SmallIntegerField(_("cold chain"), default=15)
    high_value = models.SmallIntegerField(_("high value"), default=10)
    presale = models.SmallIntegerField(_("presale"), default=-10)
    age_per_hour = models.DecimalField(_("points per hour since payment"), max_digits=6,
                                       decimal_places=2, default=1)
    age_max = models.SmallIntegerField(_("maximum age points"), default=24)
    amount_per_100 = models.DecimalField(_("points per ¥100 paid"), max_digits=6,
                                         decimal_places=2, default=1)
    amount_max = models.SmallIntegerField(_("maximum amount points"), default=20)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("scoring policy")
        verbose_name_plural = _("scoring policies")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True),
                                    name="scoringpolicy_one_active"),
            models.CheckConstraint(condition=Q(age_max__gte=0) & Q(amount_max__gte=0),
                                   name="scoringpolicy_caps_gte_0"),
        ]
        permissions = [("activate_scoringpolicy", _("Can activate a scoring policy version"))]

    def __str__(self) -> str:
        return f"v{self.version}{' ✓' if self.active else ''} {self.note}".strip()


class ApprovalCondition(models.TextChoices):
    AMOUNT_GTE = "amount_gte", _("Paid amount ≥ threshold")
    CROSS_BORDER = "cross_border", _("Cross-border")
    PRESALE = "presale", _("Presale")
    BLACKLISTED = "blacklisted", _("Customer blacklisted")
    ADDRESS_ANOMALY = "address_anomaly", _("Address anomaly")
    UNKNOWN_SKU = "unknown_sku", _("Unknown SKU")
    BELOW_PRICE_FLOOR = "below_price_floor", _("Below price floor")
    BUYER_MESSAGE = "buyer_message", _("Buyer message present")


class ApprovalOutcome(models.TextChoices):
    AUTO_RELEASE = "auto_release", _("Auto-release")
    REVIEW = "review", _("Review")
    SECOND_REVIEW = "second_review", _("Second-level review")


class ApprovalRule(models.Model):
    """If ``condition`` matches a paid order, ``outcome`` decides (first match by priority).

    No match → auto-release.  ``params`` for ``address_anomaly`` may hold
    ``{"keywords": ["代收", ...], "min_length": 6}``.
    """

    name = models.CharField(_("name"), max_length=128)
    condition = models.CharField(_("condition"), max_length=24, choices=ApprovalCondition.choices)
    threshold = models.DecimalField(_("amount threshold (¥)"), **MONEY, null=True, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ApprovalOutcome.choices)
    priority = models.PositiveIntegerField(_("priority"), default=100,
                                           help_text=_("Lower runs first."))
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"{self.priority}: {self.name}"

    def clean(self):
        if self.condition == ApprovalCondition.AMOUNT_GTE and self.threshold is None:
            raise ValidationError({"threshold": _("An amount rule needs a threshold.")})
        if not isinstance(self.params, dict):
            raise ValidationError({"params": _("Parameters must be a JSON object.")})


class PriceFloor(models.Model):
    """Lowest acceptable unit price of a SKU (``below_price_floor`` approval condition)."""

    sku = models.OneToOneField("orders.Sku", verbose_name=_("SKU"), on_delete=models.CASCADE,
                               related_name="price_floor")
    min_unit_price = models.DecimalField(_("minimum unit price"), **MONEY)

    class Meta:
        verbose_name = _("price floor")
        verbose_name_plural = _("price floors")
        ordering = ["sku__code"]
        constraints = [models.CheckConstraint(condition=Q(min_unit_price__gte=0),
                                              name="pricefloor_gte_0")]

    def __str__(self) -> str:
        return f"{self.sku_id} ≥ {self.min_unit_price}"
