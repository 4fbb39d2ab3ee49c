from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import IdCursorPagination
from core.api.views import reject_oversized
from core.errors import PermissionDenied
from orders import selectors as order_selectors
from orders.api.serializers import OrderOutSerializer
from warehouses import selectors
from warehouses.api.serializers import (
    ReviewInSerializer,
    StockLevelOutSerializer,
    StockSyncInSerializer,
    StockSyncOutSerializer,
    WarehouseSerializer,
)
from warehouses.services.approval import order_review_approve, order_review_reject
from warehouses.services.stock import stock_sync


class WarehouseViewSet(viewsets.ModelViewSet):
    """Warehouse master data by natural key ``code`` (no delete: orders refer to them)."""

    serializer_class = WarehouseSerializer
    lookup_field = "code"
    pagination_class = None
    permission_classes = [permissions.DjangoModelPermissions]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.warehouse_list()


class StockListView(generics.ListAPIView):
    serializer_class = StockLevelOutSerializer
    pagination_class = IdCursorPagination
    filter_backends = []

    @extend_schema(parameters=[OpenApiParameter("sku", str), OpenApiParameter("warehouse", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.stock_list(sku=params.get("sku"), warehouse=params.get("warehouse"))


class StockSyncView(APIView):
    """A WMS reports absolute on-hand levels: all rows or none, idempotent by ``sync_id``."""

    @extend_schema(request=StockSyncInSerializer, responses=StockSyncOutSerializer)
    def post(self, request: Request) -> Response:
        reject_oversized(request)
        if not request.user.has_perm("warehouses.change_stocklevel"):
            raise PermissionDenied(_("you may not change stock levels"))
        body = StockSyncInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = stock_sync(sync_id=body.validated_data["sync_id"], levels=body.to_levels(),
                            actor=request.user, source="api")
        return Response(StockSyncOutSerializer(result).data,
                        headers={"X-Liuzhuan-Outcome": result.outcome})


class _ReviewView(APIView):
    service = None

    @extend_schema(request=ReviewInSerializer, responses=OrderOutSerializer)
    def post(self, request: Request, oid) -> Response:
        body = ReviewInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = type(self).service(oid=oid, actor=request.user, source="api",
                                   note=body.validated_data["note"])
        return Response(OrderOutSerializer(order_selectors.order_get(oid=order.oid)).data)


class ReviewApproveView(_ReviewView):
    """Approve a held order; on second-level review the first call records approval one."""

    service = staticmethod(order_review_approve)


class ReviewRejectView(_ReviewView):
    """Reject a held order (it is cancelled)."""

    service = staticmethod(order_review_reject)
