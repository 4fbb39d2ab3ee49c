"""Public order transitions: lock, check, transition, save, record — one transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from core.errors import NotFound, TransitionNotAllowed
from orders import hooks
from orders.models import Order

from .events import order_event_record, order_status_event_type

PUBLIC_TRANSITIONS = (
    "pay",
    "approve",
    "hold",
    "release",
    "allocate",
    "start_picking",
    "ship",
    "deliver",
    "complete",
    "cancel",
)

# Keyword arguments each transition accepts from an interface (API body / admin form).
TRANSITION_PARAMS = {
    "hold": ("reason",),
    "ship": ("carrier", "tracking_no"),
}

# Guards registered by other apps (e.g. four-eyes second-level review). Each is called as
# guard(order=, name=, actor=, params=) with the row locked and may raise a DomainError, or
# complete the request itself (a first review approval, an allocation that reserves stock) and
# return the order: then the plain transition is not applied.
GUARDS_MAY_HANDLE = True
_guards: list = []


def register_transition_guard(guard) -> None:
    if guard not in _guards:
        _guards.append(guard)


def order_lock(*, oid) -> Order:
    try:
        # The shop rides along (every event names it) but only the order row is locked.
        return Order.objects.select_for_update(of=("self",)).select_related("shop").get(oid=oid)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("order %(oid)s not found") % {"oid": oid}, code="order_not_found") from None


def order_available_transitions(*, order: Order, user) -> list[str]:
    names = {t.name for t in order.get_available_user_status_transitions(user)}
    return [name for name in PUBLIC_TRANSITIONS if name in names]


def order_transition(
    *,
    oid,
    name: str,
    actor,
    source: str = "api",
    params: dict | None = None,
    note: str = "",
) -> Order:
    """Apply public transition ``name`` to the order ``oid`` on behalf of ``actor``.

    ``actor=None`` means the system itself (no permission check).  Forbidden by
    state or by permission → ``TransitionNotAllowed`` (HTTP 409).
    """
    if name not in PUBLIC_TRANSITIONS:
        raise NotFound(_("unknown transition %(name)r") % {"name": name}, code="unknown_transition")
    allowed = TRANSITION_PARAMS.get(name, ())
    kwargs = {k: v for k, v in (params or {}).items() if k in allowed and v not in (None, "")}
    with transaction.atomic():
        order = order_lock(oid=oid)
        method = getattr(order, name)
        if not can_proceed(method):
            raise TransitionNotAllowed(
                _("cannot %(name)s an order in status %(status)s") % {"name": name, "status": order.status},
                details={"status": order.status, "transition": name},
            )
        if actor is not None and not has_transition_perm(method, actor):
            raise TransitionNotAllowed(
                _("you may not %(name)s orders") % {"name": name},
                details={"status": order.status, "transition": name, "reason": "permission"},
            )
        for guard in list(_guards):
            handled = guard(order=order, name=name, actor=actor, params=kwargs)
            if handled is not None:
                return handled
        return order_apply_transition(
            order=order, method=method, actor=actor, source=source, kwargs=kwargs, note=note
        )


def order_apply_transition(
    *, order: Order, method, actor, source: str, kwargs: dict | None = None, note: str = "",
    payload: dict | None = None,
) -> Order:
    """Run an already-checked transition on a locked order and record it (internal use)."""
    from_status = order.status
    method(**(kwargs or {}))
    order.save()
    body = {"from": from_status, "to": order.status, "transition": method.__name__}
    if kwargs:
        body["params"] = kwargs
    if note:
        body["note"] = note
    if payload:
        body.update(payload)
    order_event_record(
        order=order, type=order_status_event_type(order.status), actor=actor, source=source,
        payload=body,
    )
    hooks.status_changed(
        order=order, from_status=from_status, to_status=order.status, actor=actor, source=source
    )
    return order
