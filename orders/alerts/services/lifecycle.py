"""Staff actions on alerts (acknowledge, assign) and publishing of newly opened alerts
(``alert.opened`` to subscribers through the outbox, options for valued customers,
optional e-mail to a group)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import PermissionDenied, ValidationFailed

from ..models import (
    OPEN_Q,
    Alert,
    AlertKind,
    AlertNotificationRule,
    AlertStatus,
    FulfilmentPolicy,
)
from ..models.alerts import SEVERITY_RANK

log = logging.getLogger(__name__)
ACK_PERM = "alerts.acknowledge_alert"


def _require(actor, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(_("you may not change alerts"), code="alert_permission")


def alerts_acknowledge(*, alert_ids: Iterable[int], actor) -> int:
    """Mark open alerts as seen by ``actor`` (they stay open until the cause goes)."""
    _require(actor, ACK_PERM)
    return (Alert.objects.filter(OPEN_Q, pk__in=list(alert_ids), status=AlertStatus.OPEN)
            .update(status=AlertStatus.ACKNOWLEDGED, acknowledged_at=timezone.now(),
                    acknowledged_by=actor))


def alerts_assign(*, alert_ids: Iterable[int], assignee, actor) -> int:
    """Give open alerts to ``assignee`` (``None`` unassigns); must be a staff user."""
    _require(actor, ACK_PERM)
    if assignee is not None and not (assignee.is_active and assignee.is_staff):
        raise ValidationFailed(_("alerts go to active staff users"), code="assignee_not_staff")
    return Alert.objects.filter(OPEN_Q, pk__in=list(alert_ids)).update(assignee=assignee)


def alert_payload(alert: Alert) -> dict:
    return {"id": alert.pk, "kind": alert.kind, "severity": alert.severity,
            "key": alert.key, "opened_at": alert.opened_at.isoformat(), "details": alert.details}


def alerts_publish(*, alert_ids: Iterable[int] | None = None, limit: int = 500) -> list[int]:
    """Publish newly opened alerts once: options for valued out-of-stock orders go into
    ``details``, ``alert.opened`` goes to the outbox, ``published_at`` is set — one
    transaction; rows another worker is publishing are skipped.  Returns the ids."""
    from channels_adapters.subscribers.services.outbox import outbox_publish

    from .options import fulfillment_options

    with transaction.atomic():
        qs = Alert.objects.filter(published_at__isnull=True)
        if alert_ids is not None:
            qs = qs.filter(pk__in=list(alert_ids))
        alerts = list(qs.select_for_update(skip_locked=True, of=("self",))
                      .select_related("order__customer").order_by("pk")[:limit])
        if not alerts:
            return []
        proactive = set(FulfilmentPolicy.objects.filter(offer_proactively=True)
                        .values_list("level", flat=True))
        now = timezone.now()
        for alert in alerts:
            customer = alert.order.customer if alert.order_id else None
            if (alert.kind == AlertKind.OUT_OF_STOCK and alert.is_open and customer is not None
                    and customer.level in proactive):
                alert.details = {**alert.details,
                                 "options": fulfillment_options(order=alert.order).as_json()}
            data = alert_payload(alert)
            outbox_publish(type="alert.opened", oid=alert.order.oid if alert.order_id else None,
                           data=data, occurred_at=alert.opened_at)
            alert.published_at = now
        Alert.objects.bulk_update(alerts, ["details", "published_at"])
        ids = [a.pk for a in alerts]
        transaction.on_commit(partial(alerts_notify_now, alert_ids=ids))
    return ids


def alerts_notify_now(*, alert_ids: list[int]) -> int:
    """E-mail the groups whose rules match (sent now, outside any transaction)."""
    rules = list(AlertNotificationRule.objects.filter(active=True).select_related("group"))
    if not rules:
        return 0
    User = get_user_model()
    alerts = list(Alert.objects.filter(pk__in=alert_ids).select_related("order"))
    messages = []
    for rule in rules:
        wanted = [a for a in alerts if (not rule.kind or a.kind == rule.kind)
                  and SEVERITY_RANK[a.severity] >= SEVERITY_RANK[rule.min_severity]]
        if not wanted:
            continue
        to = list(User.objects.filter(groups=rule.group, is_active=True).exclude(email="")
                  .values_list("email", flat=True))
        if not to:
            continue
        lines = [f"[{a.severity}] {a.get_kind_display()} — "
                 f"{a.order if a.order_id else a.key} (#{a.pk})" for a in wanted]
        subject = f"Liuzhuan: {len(wanted)} new alert(s)"
        messages.append((subject, "\n".join(lines), None, to))
    if not messages:
        return 0
    try:
        return send_mass_mail(messages, fail_silently=False)
    except Exception:  # noqa: BLE001 — mail is best effort; the alert board is the record
        log.exception("alert e-mail failed")
        return 0
