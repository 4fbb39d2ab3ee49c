"""Retry, breaker and relay tuning.  Defaults here; ``settings.LIUZHUAN_WEBHOOKS`` overrides."""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    "max_attempts": 12,          # then dead-lettered (~2 h with the backoff below)
    "backoff_base": 2.0,         # seconds; delay = base * 2**(n-1), capped, with jitter
    "backoff_max": 1800.0,
    "breaker_threshold": 5,      # retryable failures in a row that open the circuit
    "breaker_cooldown": 30.0,    # seconds; doubles while it keeps failing, capped
    "breaker_cooldown_max": 600.0,
    "batch_size": 50,            # deliveries claimed per statement (one batch, in order)
    "relay_budget": 50.0,        # seconds one relay run may keep looping
    "lease_margin": 30.0,        # lease = timeout + margin; then the sweeper re-queues
}


def policy(name: str):
    return getattr(settings, "LIUZHUAN_WEBHOOKS", {}).get(name, DEFAULTS[name])
