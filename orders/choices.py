from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    TAOBAO = "taobao", _("Taobao / Tmall")
    JD = "jd", _("JD")
    PDD = "pdd", _("Pinduoduo")
    DOUYIN = "douyin", _("Douyin")
    MANUAL = "manual", _("Manual")


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    PAID = "paid", _("Paid, awaiting review")
    ON_HOLD = "on_hold", _("On hold")
    APPROVED = "approved", _("Approved")
    ALLOCATED = "allocated", _("Allocated")
    PICKING = "picking", _("Picking")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class HoldReason(models.TextChoices):
    NONE = "", _("—")
    REVIEW = "review", _("Review")
    SECOND_REVIEW = "second_review", _("Second-level review")
    ANOMALY = "anomaly", _("Anomaly")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")
    CHANNEL_HOLD = "channel_hold", _("Held by the channel")


class RefundStatus(models.TextChoices):
    NONE = "none", _("None")
    REQUESTED = "requested", _("Requested")
    REFUNDED = "refunded", _("Refunded")


class CustomerLevel(models.TextChoices):
    NORMAL = "normal", _("Normal")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")
    VIP = "vip", _("VIP")


# Position of each status on the forward path; channel data never moves an order to a lower rank.
STATUS_RANK = {
    OrderStatus.PENDING_PAYMENT: 0,
    OrderStatus.PAID: 1,
    OrderStatus.ON_HOLD: 1,
    OrderStatus.APPROVED: 2,
    OrderStatus.ALLOCATED: 3,
    OrderStatus.PICKING: 4,
    OrderStatus.SHIPPED: 5,
    OrderStatus.DELIVERED: 6,
    OrderStatus.COMPLETED: 7,
    OrderStatus.CANCELLED: 8,
}

PRE_SHIPMENT = [
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.ON_HOLD,
    OrderStatus.APPROVED,
    OrderStatus.ALLOCATED,
    OrderStatus.PICKING,
]
