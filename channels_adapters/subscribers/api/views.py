"""``/api/v1/subscriptions/…`` and ``/api/v1/deliveries/…`` (thin: parse, call a service)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import DefaultCursorPagination
from core.errors import NotFound

from .. import selectors
from ..models import Delivery, DeliveryStatus, Subscription
from ..services.operations import deliveries_retry, subscription_replay
from ..services.subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_update,
)
from .serializers import (
    CountOutSerializer,
    DeliveryDetailSerializer,
    DeliverySerializer,
    ReplayInSerializer,
    SubscriptionSerializer,
)


class ModelPerms(permissions.DjangoModelPermissions):
    """Model permissions, including ``view`` for reads (staff groups, superusers)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class RetryPerm(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("subscribers.retry_delivery")


def _subscription(pk) -> Subscription:
    try:
        return selectors.subscription_get(pk=pk)
    except (Subscription.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("subscription %(id)s not found") % {"id": pk}, code="subscription_not_found") from None


class SubscriptionListView(generics.ListCreateAPIView):
    serializer_class = SubscriptionSerializer
    permission_classes = [ModelPerms]
    queryset = Subscription.objects.none()
    pagination_class = None

    def get_queryset(self):
        return selectors.subscription_list()

    def create(self, request, *args, **kwargs):
        serializer = SubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sub = subscription_create(
            name=data["name"], url=data["url"], secret=data["secret"],
            event_types=data.get("event_types", []), active=data.get("active", True),
            contract=data.get("contract"), actor=request.user,
        )
        return Response(SubscriptionSerializer(sub).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailView(APIView):
    permission_classes = [ModelPerms]
    queryset = Subscription.objects.none()

    @extend_schema(responses=SubscriptionSerializer)
    def get(self, request, pk):
        return Response(SubscriptionSerializer(_subscription(pk)).data)

    def _update(self, request, pk, partial):
        sub = _subscription(pk)
        serializer = SubscriptionSerializer(sub, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        sub = subscription_update(subscription=sub, data=serializer.validated_data,
                                  actor=request.user)
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(request=SubscriptionSerializer, responses=SubscriptionSerializer)
    def put(self, request, pk):
        return self._update(request, pk, partial=False)

    @extend_schema(request=SubscriptionSerializer, responses=SubscriptionSerializer)
    def patch(self, request, pk):
        return self._update(request, pk, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        subscription_delete(subscription=_subscription(pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.CharFilter()
    oid = django_filters.UUIDFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields = ["status", "event_type", "oid"]


class SubscriptionDeliveriesView(generics.ListAPIView):
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    pagination_class = DefaultCursorPagination
    permission_classes = [ModelPerms]
    queryset = Delivery.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        return selectors.delivery_list(subscription=_subscription(self.kwargs["pk"]))


class DeliveryDetailView(APIView):
    permission_classes = [ModelPerms]
    queryset = Delivery.objects.none()

    @extend_schema(responses=DeliveryDetailSerializer)
    def get(self, request, pk):
        try:
            delivery = selectors.delivery_get(pk=pk)
        except (Delivery.DoesNotExist, DjangoValidationError, ValueError):
            raise NotFound(_("delivery %(id)s not found") % {"id": pk}, code="delivery_not_found") from None
        return Response(DeliveryDetailSerializer(delivery).data)


class DeliveryRetryView(APIView):
    permission_classes = [RetryPerm]

    @extend_schema(request=None, responses=CountOutSerializer)
    def post(self, request, pk):
        if not Delivery.objects.filter(pk=pk).exists():
            raise NotFound(_("delivery %(id)s not found") % {"id": pk}, code="delivery_not_found")
        return Response({"count": deliveries_retry(delivery_ids=[pk], actor=request.user)})


class SubscriptionReplayView(APIView):
    permission_classes = [RetryPerm]

    @extend_schema(request=ReplayInSerializer, responses=CountOutSerializer)
    def post(self, request, pk):
        serializer = ReplayInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = subscription_replay(subscription=_subscription(pk),
                                    since=serializer.validated_data["since"], actor=request.user)
        return Response({"count": count}, status=status.HTTP_202_ACCEPTED)
