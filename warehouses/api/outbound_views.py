"""``/api/v1/outbound/batches/…`` — one view per operation; services do the work."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import DefaultCursorPagination
from core.api.views import reject_oversized
from core.errors import PermissionDenied
from warehouses import selectors
from warehouses.models import OutboundBatch, Wave
from warehouses.services.outbound import (
    outbound_batch_create,
    outbound_batch_execute,
    outbound_batch_rollback,
    outbound_handover,
)
from warehouses.services.outbound.documents import wave_picklist_pdf

from .outbound_serializers import BatchCreateInSerializer, HandoverInSerializer, batch_out


def _require(request, perm: str, message: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(message)


def _detail(batch_id: int, *, step: str | None = None) -> dict:
    batch = get_object_or_404(OutboundBatch, pk=batch_id)
    return batch_out(batch, counts=selectors.outbound_batch_counts(batch=batch),
                     waves=selectors.outbound_batch_waves(batch=batch),
                     items=selectors.outbound_batch_items(batch=batch, step=step))


class BatchListCreateView(APIView):
    @extend_schema(request=BatchCreateInSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        reject_oversized(request)
        _require(request, "warehouses.add_outboundbatch", "you may not create outbound batches")
        data = BatchCreateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        batch = outbound_batch_create(oids=v.get("orders"), filter=v.get("filter"),
                                      actor=request.user, source="api", name=v["name"],
                                      carrier=v["carrier"], handover=v["handover"])
        return Response(_detail(batch.pk), status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="outbound_batches_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        _require(request, "warehouses.view_outboundbatch", "you may not view outbound batches")
        paginator = DefaultCursorPagination()
        page = paginator.paginate_queryset(selectors.outbound_batch_list(), request, view=self)
        return paginator.get_paginated_response([
            {"id": b.pk, "status": b.status, "name": b.name, "total": b.total,
             "progress": {"done": b.progress_done, "failed": b.progress_failed},
             "created_at": b.created_at} for b in page])


class BatchDetailView(APIView):
    @extend_schema(parameters=[OpenApiParameter("result", str, description="only this step")],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, batch_id: int) -> Response:
        _require(request, "warehouses.view_outboundbatch", "you may not view outbound batches")
        return Response(_detail(batch_id, step=request.query_params.get("result") or None))


class BatchExecuteView(APIView):
    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request, batch_id: int) -> Response:
        _require(request, "warehouses.execute_outboundbatch", "you may not execute batches")
        get_object_or_404(OutboundBatch, pk=batch_id)
        batch = outbound_batch_execute(batch_id=batch_id, actor=request.user, source="api")
        return Response({"id": batch.pk, "status": batch.status}, status=status.HTTP_202_ACCEPTED)


class BatchRollbackView(APIView):
    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request, batch_id: int) -> Response:
        _require(request, "warehouses.rollback_outboundbatch", "you may not roll back batches")
        get_object_or_404(OutboundBatch, pk=batch_id)
        batch = outbound_batch_rollback(batch_id=batch_id, actor=request.user, source="api")
        return Response({"id": batch.pk, "status": batch.status}, status=status.HTTP_202_ACCEPTED)


class BatchHandoverView(APIView):
    """Carrier pickup scan: the listed waves (or orders; default every wave) ship."""

    @extend_schema(request=HandoverInSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, batch_id: int) -> Response:
        _require(request, "warehouses.handover_outboundbatch", "you may not record handovers")
        get_object_or_404(OutboundBatch, pk=batch_id)
        data = HandoverInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipped = outbound_handover(batch_id=batch_id, wave_ids=data.validated_data.get("waves"),
                                    oids=data.validated_data.get("orders"), actor=request.user,
                                    source="api")
        return Response({"id": batch_id, "shipped": shipped})


class WaveLabelsView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, batch_id: int, wave_id: int) -> HttpResponse:
        _require(request, "warehouses.view_wave", "you may not view waves")
        wave = get_object_or_404(Wave, pk=wave_id, batch_id=batch_id)
        if not wave.labels_pdf:
            return Response({"code": "no_labels", "message": "labels are not printed yet"},
                            status=status.HTTP_404_NOT_FOUND)
        return pdf_response(bytes(wave.labels_pdf), f"{wave.code}-labels.pdf")


class WavePickListView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, batch_id: int, wave_id: int) -> HttpResponse:
        _require(request, "warehouses.view_wave", "you may not view waves")
        wave = get_object_or_404(Wave.objects.select_related("warehouse"), pk=wave_id,
                                 batch_id=batch_id)
        return pdf_response(wave_picklist_pdf(wave), f"{wave.code}-picklist.pdf")


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
