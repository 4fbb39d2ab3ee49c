"""Native order documents in: ``POST /api/v1/channels/<platform>/<shop_code>/orders/``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_adapters.services.archive import headers_from_meta
from channels_adapters.services.inbound import native_document_ingest
from channels_adapters.services.inbound_batch import native_documents_ingest
from core.api.views import reject_oversized
from orders import selectors
from orders.api.serializers import OrderOutSerializer


class RawJSONParser(BaseParser):
    """Leave the body alone: the adapters parse it so big ids never become floats."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return None


class CanIngestDocuments(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("channels_adapters.ingest_document"))


class NativeDocumentView(APIView):
    parser_classes = [RawJSONParser]
    permission_classes = [CanIngestDocuments]

    @extend_schema(
        request={"application/json": {"type": "object", "description": "the platform's own order-detail document"}},
        responses={200: OrderOutSerializer, 201: OrderOutSerializer, 400: OpenApiResponse(),
                   404: OpenApiResponse()},
    )
    def post(self, request: Request, platform: str, shop_code: str) -> Response:
        reject_oversized(request)
        result, _ = native_document_ingest(
            platform_name=platform, shop_code=shop_code, body=request.body,
            headers=headers_from_meta(request.META), actor=request.user,
        )
        order = result.order
        if result.outcome != "created":  # a new order comes back complete from the ingest
            order = selectors.order_get(oid=order.oid)
        data = OrderOutSerializer(order).data
        code = status.HTTP_201_CREATED if result.outcome == "created" else status.HTTP_200_OK
        return Response(data, status=code, headers={"X-Liuzhuan-Outcome": result.outcome})


class NativeDocumentBatchView(APIView):
    """A JSON array of native order documents (a page from an RDS bridge or a file)."""

    parser_classes = [RawJSONParser]
    permission_classes = [CanIngestDocuments]

    @extend_schema(
        request={"application/json": {"type": "array", "items": {"type": "object"},
                                      "description": "the platform's own order-detail documents"}},
        responses={200: OpenApiResponse(description="one result per document, in order: "
                                        "{index, outcome, oid, channel_order_id} or "
                                        "{index, code, message, details}"),
                   400: OpenApiResponse(), 404: OpenApiResponse()},
    )
    def post(self, request: Request, platform: str, shop_code: str) -> Response:
        reject_oversized(request)
        results = native_documents_ingest(
            platform_name=platform, shop_code=shop_code, body=request.body,
            headers=headers_from_meta(request.META), actor=request.user,
        )
        out, counts = [], {}
        for item in results:
            if item.error is not None:
                row = {"index": item.index, "code": item.error.code, "message": item.error.message}
                if item.error.details:
                    row["details"] = item.error.details
                counts["rejected"] = counts.get("rejected", 0) + 1
            else:
                order = item.result.order
                row = {"index": item.index, "outcome": item.result.outcome, "oid": str(order.oid),
                       "channel_order_id": order.channel_order_id, "status": order.status}
                counts[item.result.outcome] = counts.get(item.result.outcome, 0) + 1
            out.append(row)
        return Response({"counts": counts, "results": out}, status=status.HTTP_200_OK)
