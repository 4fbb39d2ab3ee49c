from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscribersConfig(AppConfig):
    name = "channels_adapters.subscribers"
    label = "subscribers"
    verbose_name = _("Event subscriptions")

    def ready(self) -> None:
        from orders import hooks

        from .services.outbox import on_order_event, on_order_events_many

        hooks.on_event_recorded(on_order_event, many=on_order_events_many)
