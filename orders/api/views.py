from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.views import reject_oversized
from core.errors import NotFound, ValidationFailed
from orders import selectors
from orders.api.filters import OrderFilter
from orders.api.serializers import (
    BindingOutSerializer,
    CustomerSerializer,
    OrderEventOutSerializer,
    OrderIngestSerializer,
    OrderOutSerializer,
    ShopSerializer,
    SkuSerializer,
    TransitionInSerializer,
)
from orders.models import Order
from orders.services.ingest import order_ingest
from orders.services.transitions import order_transition


def _order_or_404(oid) -> Order:
    try:
        return selectors.order_get(oid=oid)
    except (Order.DoesNotExist, DjangoValidationError, ValueError):
        raise NotFound(_("order %(oid)s not found") % {"oid": oid}, code="order_not_found") from None


class OrderListView(generics.ListAPIView):
    serializer_class = OrderOutSerializer
    filterset_class = OrderFilter

    def get_queryset(self):
        return selectors.order_list()


class OrderDetailView(APIView):
    @extend_schema(responses=OrderOutSerializer)
    def get(self, request: Request, oid) -> Response:
        return Response(OrderOutSerializer(_order_or_404(oid)).data)


class OrderLookupView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("oid", str), OpenApiParameter("channel", str),
            OpenApiParameter("channel_order_id", str), OpenApiParameter("shop", str),
        ],
        responses=BindingOutSerializer,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        try:
            if params.get("oid"):
                order = selectors.order_get(oid=params["oid"])
            elif params.get("channel") and params.get("channel_order_id"):
                order = selectors.order_get_by_binding(
                    channel=params["channel"], channel_order_id=params["channel_order_id"],
                    shop=params.get("shop"),
                )
            else:
                raise ValidationFailed(
                    _("give ?oid= or ?channel=&channel_order_id="), code="lookup_params_missing"
                )
        except (Order.DoesNotExist, DjangoValidationError, ValueError):
            raise NotFound(_("no order with that binding"), code="order_not_found") from None
        except Order.MultipleObjectsReturned:
            raise ValidationFailed(
                _("several shops have that channel order id; add ?shop="), code="ambiguous_binding"
            ) from None
        return Response(BindingOutSerializer(order).data)


class OrderEventsView(APIView):
    @extend_schema(responses=OrderEventOutSerializer(many=True))
    def get(self, request: Request, oid) -> Response:
        order = _order_or_404(oid)
        events = selectors.order_events(order=order)
        return Response(OrderEventOutSerializer(events, many=True).data)


class OrderTransitionView(APIView):
    @extend_schema(request=TransitionInSerializer, responses=OrderOutSerializer)
    def post(self, request: Request, oid, name: str) -> Response:
        body = TransitionInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        params = dict(body.validated_data)
        note = params.pop("note", "")
        order = order_transition(
            oid=oid, name=name, actor=request.user, source="api", params=params, note=note
        )
        return Response(OrderOutSerializer(selectors.order_get(oid=order.oid)).data)


class OrderIngestView(APIView):
    @extend_schema(request=OrderIngestSerializer, responses={200: OrderOutSerializer, 201: OrderOutSerializer})
    def post(self, request: Request) -> Response:
        reject_oversized(request)
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("the body must be one JSON object"), code="invalid_body")
        body = OrderIngestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = order_ingest(canonical=body.to_canonical(), source="api", actor=request.user)
        order = selectors.order_get(oid=result.order.oid)
        data = OrderOutSerializer(order).data
        code = status.HTTP_201_CREATED if result.outcome == "created" else status.HTTP_200_OK
        return Response(data, status=code, headers={"X-Liuzhuan-Outcome": result.outcome})


class ShopViewSet(viewsets.ModelViewSet):
    serializer_class = ShopSerializer
    lookup_field = "code"
    pagination_class = None
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.shop_list()


class SkuViewSet(viewsets.ModelViewSet):
    serializer_class = SkuSerializer
    lookup_field = "code"
    pagination_class = None
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.sku_list()


class CustomerViewSet(viewsets.ModelViewSet):
    serializer_class = CustomerSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    filterset_fields = ["channel", "channel_buyer_id", "level"]

    def get_queryset(self):
        return selectors.customer_list()

    @property
    def paginator(self):
        from core.api.pagination import IdCursorPagination

        if not hasattr(self, "_paginator"):
            self._paginator = IdCursorPagination()
        return self._paginator
