from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import DefaultCursorPagination
from core.api.views import reject_oversized
from core.errors import NotFound, ValidationFailed
from orders import selectors as order_selectors
from orders.models import Order

from .. import selectors
from ..models import Alert
from ..services.choose import fulfillment_option_choose
from ..services.options import fulfillment_options
from .serializers import AlertOutSerializer, ChooseInSerializer, DecisionOutSerializer


class AlertPagination(DefaultCursorPagination):
    ordering = ("-opened_at", "-id")


def _bool(value: str | None, name: str):
    if value in (None, ""):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValidationFailed(_("%(name)s must be true or false") % {"name": name}, code="invalid_filter")


class AlertListView(generics.ListAPIView):
    """Alerts, newest first.  Filters: kind, severity, status, open, oid, assignee."""

    serializer_class = AlertOutSerializer
    pagination_class = AlertPagination
    filter_backends = []

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in
                               ("kind", "severity", "status", "open", "oid", "assignee")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        p = self.request.query_params
        for name, choices in (("kind", Alert._meta.get_field("kind").choices),
                              ("severity", Alert._meta.get_field("severity").choices),
                              ("status", Alert._meta.get_field("status").choices)):
            if p.get(name) and p[name] not in {c[0] for c in choices}:
                raise ValidationFailed(_("unknown %(name)s %(value)r") % {"name": name, "value": p[name]}, code="invalid_filter")
        return selectors.alert_list(kind=p.get("kind"), severity=p.get("severity"),
                                    status=p.get("status"), open=_bool(p.get("open"), "open"),
                                    oid=_oid(p.get("oid")), assignee=p.get("assignee"))


def _oid(value):
    if not value:
        return None
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed(_("oid must be a UUID"), code="invalid_filter") from None


def _order_or_404(oid) -> Order:
    try:
        return order_selectors.order_get(oid=oid)
    except (Order.DoesNotExist, DjangoValidationError, ValueError):
        raise NotFound(_("order %(oid)s not found") % {"oid": oid}, code="order_not_found") from None


class FulfillmentOptionsView(APIView):
    """Costed options for an order that cannot be filled from its warehouse."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, oid) -> Response:
        order = _order_or_404(oid)
        return Response(fulfillment_options(order=order).as_json())


class FulfillmentChooseView(APIView):
    """Perform one option: ``{"option": "<id from the options list>"}``."""

    @extend_schema(request=ChooseInSerializer, responses=DecisionOutSerializer)
    def post(self, request: Request, oid) -> Response:
        reject_oversized(request)
        body = ChooseInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _order_or_404(oid)
        decision = fulfillment_option_choose(order_oid=oid, option_id=body.validated_data["option"],
                                             actor=request.user, source="api")
        return Response(DecisionOutSerializer(decision).data, status=201)
