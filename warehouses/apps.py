from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarehousesConfig(AppConfig):
    name = "warehouses"
    verbose_name = _("Warehouses")

    def ready(self):
        from orders import hooks
        from orders.services.transitions import register_transition_guard

        from .services.allocation import allocate_guard, release_for_status_change
        from .services.approval import (
            approve_for_status_change,
            approve_for_status_change_many,
            four_eyes_guard,
        )
        from .services.outbound.bulk_stock import release_for_status_change_many
        from .services.scoring import score_for_status_change, score_for_status_change_many

        # Order matters: stock first, then the score, then approval (which may transition).
        hooks.on_status_changed(release_for_status_change, many=release_for_status_change_many)
        hooks.on_status_changed(score_for_status_change, many=score_for_status_change_many)
        hooks.on_status_changed(approve_for_status_change, many=approve_for_status_change_many)
        register_transition_guard(allocate_guard)
        register_transition_guard(four_eyes_guard)
