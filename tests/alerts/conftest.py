from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.alerts.models import OPEN_Q, Alert
from orders.alerts.services.detection import alerts_detect


@pytest.fixture
def detect():
    """Run the detectors (all, or some kinds) ``minutes`` into the future."""

    def run(*kinds, minutes: int = 0, scope=None):
        now = timezone.now() + timedelta(minutes=minutes)
        return alerts_detect(kinds=list(kinds) or None, now=now, scope=scope)

    return run


def open_alerts(kind=None, order=None):
    qs = Alert.objects.filter(OPEN_Q)
    if kind:
        qs = qs.filter(kind=kind)
    if order is not None:
        qs = qs.filter(order=order)
    return list(qs)
