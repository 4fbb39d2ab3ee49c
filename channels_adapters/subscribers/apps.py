from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscribersConfig(AppConfig):
    name = "channels_adapters.subscribers"
    label = "subscribers"
    verbose_name = _("Event subscriptions")
