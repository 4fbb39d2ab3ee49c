from django.conf import settings
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
    default_carrier = models.CharField(
        _("default carrier"), max_length=16, default="ZTO",
        help_text=_("Carrier for outbound batches (SF is used for cold-chain and high-value orders)."),
    )

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

    def natural_key(self):
        return (self.code,)


class StockLevel(models.Model):
    """On-hand and reserved units of one SKU in one warehouse.

    ``available = on_hand - reserved``.  The database enforces
    ``0 <= reserved <= on_hand``: the last line of defence against overselling.
    Counters move only through ``warehouses.services.stock`` (row locks in
    primary-key order + ``F()`` expressions), never by read-modify-write.
    """

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stock_levels"
    )
    sku = models.ForeignKey(
        "orders.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stock_levels"
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock threshold"), default=5,
        help_text=_("Highlighted on the stock board when available is at or below this."),
    )
    bin_location = models.CharField(
        _("bin location"), max_length=32, blank=True,
        help_text=_("Where pickers find the SKU, e.g. A-03-2; pick lists are sorted by it."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["sku__code", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="stocklevel_unique_wh_sku"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__lte=models.F("on_hand")),
                name="stocklevel_reserved_lte_on_hand",
            ),
        ]
        permissions = [("import_stocklevel", _("Can import stock levels"))]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Reservation(models.Model):
    """Units of one order line held in one warehouse (a line ships from one warehouse)."""

    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT,
        related_name="reservations",
    )
    line = models.OneToOneField(
        "orders.OrderLine", verbose_name=_("order line"), on_delete=models.PROTECT,
        related_name="reservation",
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="reservations"
    )
    sku = models.ForeignKey("orders.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT,
                            related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["order_id", "line_id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_gt_0"),
        ]
        indexes = [models.Index(fields=["warehouse", "created_at"], name="reservation_wh_created")]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_id} {self.sku_id}x{self.quantity}@{self.warehouse_id}"


class StockSync(models.Model):
    """One applied WMS stock report; its ``sync_id`` makes the sync idempotent."""

    sync_id = models.CharField(_("sync id"), max_length=128, unique=True)
    source = models.CharField(_("source"), max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    changed = models.PositiveIntegerField(_("changed rows"), default=0)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock sync")
        verbose_name_plural = _("stock syncs")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.sync_id
