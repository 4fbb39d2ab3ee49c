"""Reads for the admin and the API, with their joins decided here."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Contract, Delivery, DeliveryAttempt, Subscription


def subscription_list() -> QuerySet[Subscription]:
    return Subscription.objects.select_related("contract").order_by("id")


def subscription_get(*, pk) -> Subscription:
    return subscription_list().get(pk=pk)


def contract_list() -> QuerySet[Contract]:
    return Contract.objects.order_by("name")


def delivery_list(*, subscription: Subscription | None = None) -> QuerySet[Delivery]:
    qs = Delivery.objects.select_related("event", "subscription")
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    return qs


def delivery_get(*, pk) -> Delivery:
    return delivery_list().prefetch_related("attempt_log").get(pk=pk)


def delivery_attempts(*, delivery: Delivery) -> QuerySet[DeliveryAttempt]:
    return DeliveryAttempt.objects.filter(delivery=delivery).order_by("number", "id")
