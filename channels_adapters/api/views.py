"""Native order documents in: ``POST /api/v1/channels/<platform>/<shop_code>/orders/``."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_adapters import selectors
from channels_adapters.services.archive import headers_from_meta
from channels_adapters.services.inbound import native_document_ingest
from channels_adapters.services.inbound_batch import native_documents_ingest
from channels_adapters.services.inbound_queue import native_document_accept
from core.api.views import reject_oversized
from orders import selectors as order_selectors
from orders.api.serializers import OrderOutSerializer

from .serializers import InboundMessageStatusSerializer


class RawJSONParser(BaseParser):
    """Leave the body alone: the adapters parse it so big ids never become floats."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return None


class CanIngestDocuments(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("channels_adapters.ingest_document"))


def prefers_async(request: Request) -> bool:
    """``Prefer: respond-async`` (RFC 7240), among other preferences or alone."""
    prefs = request.META.get("HTTP_PREFER", "")
    return any(p.split(";")[0].split("=")[0].strip().lower() == "respond-async" for p in prefs.split(","))


def accepted_answer(row, request: Request) -> dict:
    """The 202 answer: ``InboundMessageStatusSerializer``'s shape for a pending row, built
    directly (the hot path of a bridge sending one document per request)."""
    url = request.build_absolute_uri(reverse("channel-message-status", kwargs={"message_id": row.pk}))
    return {
        "message_id": row.pk, "platform": row.platform, "kind": row.kind, "shop_code": row.shop_code,
        "channel_order_id": row.channel_order_id, "outcome": row.outcome, "error": row.error,
        "received_at": serializers.DateTimeField().to_representation(row.received_at),
        "processed_at": None, "oid": None, "status_url": url,
    }


class NativeDocumentView(APIView):
    parser_classes = [RawJSONParser]
    permission_classes = [CanIngestDocuments]

    @extend_schema(
        request={"application/json": {"type": "object", "description": "the platform's own order-detail document"}},
        parameters=[OpenApiParameter(
            "Prefer", location=OpenApiParameter.HEADER, required=False,
            description="`respond-async`: check and archive the document, answer 202 at once; a "
                        "worker ingests it (poll the message's `status_url`)")],
        responses={200: OrderOutSerializer, 201: OrderOutSerializer,
                   202: InboundMessageStatusSerializer, 400: OpenApiResponse(), 404: OpenApiResponse()},
    )
    def post(self, request: Request, platform: str, shop_code: str) -> Response:
        reject_oversized(request)
        if prefers_async(request):
            row = native_document_accept(platform_name=platform, shop_code=shop_code, body=request.body,
                                         headers=headers_from_meta(request.META), actor=request.user)
            data = accepted_answer(row, request)
            return Response(data, status=status.HTTP_202_ACCEPTED,
                            headers={"Location": data["status_url"], "Preference-Applied": "respond-async",
                                     "X-Liuzhuan-Outcome": row.outcome})
        result, _ = native_document_ingest(
            platform_name=platform, shop_code=shop_code, body=request.body,
            headers=headers_from_meta(request.META), actor=request.user,
        )
        order = result.order
        if result.outcome != "created":  # a new order comes back complete from the ingest
            order = order_selectors.order_get(oid=order.oid)
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


class CanReadInboundMessages(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (
            user.has_perm("channels_adapters.ingest_document")
            or user.has_perm("channels_adapters.view_inboundmessage")))


class InboundMessageStatusView(APIView):
    """What became of an archived message or document (e.g. one accepted with 202)."""

    permission_classes = [CanReadInboundMessages]

    @extend_schema(responses={200: InboundMessageStatusSerializer, 404: OpenApiResponse()})
    def get(self, request: Request, message_id: int) -> Response:
        row = get_object_or_404(selectors.inbound_message_status_list(), pk=message_id)
        return Response(InboundMessageStatusSerializer(row, context={"request": request}).data)
