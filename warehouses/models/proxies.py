"""Views of ``orders.Order`` owned by the warehouse team (admin queues)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.models import Order


class OutboundOrder(Order):
    """Approved and allocated orders, highest priority score first."""

    class Meta:
        proxy = True
        verbose_name = _("outbound queue order")
        verbose_name_plural = _("outbound queue")


class ReviewOrder(Order):
    """Orders held for review or second-level review."""

    class Meta:
        proxy = True
        verbose_name = _("review queue order")
        verbose_name_plural = _("review queue")


class RoutedOrder(Order):
    """Routing explanation and manual warehouse override of one order."""

    class Meta:
        proxy = True
        verbose_name = _("order routing")
        verbose_name_plural = _("order routing")
