from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self):
        from orders import hooks

        from .services.profiles import link_on_order_created, link_on_orders_created_many
        from .services.red import propose_red_on_refund

        hooks.on_event_recorded(link_on_order_created, many=link_on_orders_created_many)
        hooks.on_event_recorded(propose_red_on_refund)
