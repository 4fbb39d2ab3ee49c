from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WarehouseKind(models.TextChoices):
    OWN = "own", _("Own warehouse")
    THIRD_PARTY = "3pl", _("Third-party (3PL)")
    STORE = "store", _("Store")


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=8, choices=WarehouseKind.choices, default=WarehouseKind.OWN)
    province = models.CharField(_("province"), max_length=64, blank=True)
    city = models.CharField(_("city"), max_length=64, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    cold_chain = models.BooleanField(_("cold-chain capable"), default=False)
    daily_capacity = models.PositiveIntegerField(_("daily capacity (orders)"), default=1000)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | (Q(lat__gte=-90) & Q(lat__lte=90)),
                name="warehouse_lat_range",
            ),
            models.CheckConstraint(
                condition=Q(lng__isnull=True) | (Q(lng__gte=-180) & Q(lng__lte=180)),
                name="warehouse_lng_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
