from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsAdaptersConfig(AppConfig):
    name = "channels_adapters"
    verbose_name = _("Channels and integrations")

    def ready(self):
        from channels_adapters.services.writeback import register_writeback_senders

        register_writeback_senders()
