from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "orders.alerts"
    label = "alerts"
    verbose_name = _("Alerts and fulfilment options")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from orders import alerts_registry, hooks

        from .selectors import filter_orders_by_open_alert
        from .services.marking import (
            mark_on_event_recorded,
            mark_on_status_changed,
            mark_on_status_changed_many,
        )
        from .services.preorders import preorder_release_on_cancel

        hooks.on_status_changed(mark_on_status_changed, many=mark_on_status_changed_many)
        hooks.on_event_recorded(mark_on_event_recorded)
        hooks.on_status_changed(preorder_release_on_cancel)
        alerts_registry.register(filter_orders_by_open_alert)
