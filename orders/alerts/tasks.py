"""Dramatiq actors of the alerts app (thin: call one service)."""

from __future__ import annotations

import dramatiq

from core import schedule


@schedule.every(seconds=10)
@dramatiq.actor(queue_name="alerts", max_retries=3, time_limit=120_000)
def alerts_detect_marked_task() -> None:
    """Re-evaluate the orders the hooks marked (kicked on commit, and every 10 s)."""
    from .services.detection import alerts_detect_marked

    alerts_detect_marked()


@schedule.every(seconds=120)
@dramatiq.actor(queue_name="alerts", max_retries=0, time_limit=10 * 60 * 1000)
def alerts_detect_task() -> None:
    """Full scan: every detector over every order (time-based SLAs, missed marks)."""
    from .services.detection import alerts_detect

    alerts_detect()


@dramatiq.actor(queue_name="alerts", max_retries=5, time_limit=120_000)
def alerts_publish_task(alert_ids: list[int]) -> None:
    """alert.opened to subscribers (+ options for valued customers, e-mail)."""
    from .services.lifecycle import alerts_publish

    alerts_publish(alert_ids=alert_ids)


@schedule.every(seconds=60)
@dramatiq.actor(queue_name="alerts", max_retries=0, time_limit=120_000)
def alerts_publish_pending_task() -> None:
    """Sweep: publish alerts whose publishing message was lost (crash between commit
    and send)."""
    from .services.lifecycle import alerts_publish

    alerts_publish()
