from django.db import models
from django.utils.translation import gettext_lazy as _


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
