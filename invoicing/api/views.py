"""Thin API views: parse, check permission, call one service, render."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound, ValidationFailed
from invoicing import selectors
from invoicing.api.serializers import (
    InvoiceOutSerializer,
    InvoiceRequestInSerializer,
    InvoiceRequestOutSerializer,
    RedInSerializer,
    TaxCodeSerializer,
    TaxProfileSerializer,
)
from invoicing.services.profiles import tax_profile_create, tax_profile_update
from invoicing.services.red import invoice_red_create
from invoicing.services.requests import invoice_request_create, invoice_request_submit


def perm(codename: str, *, safe_too: bool = False):
    class HasPerm(permissions.BasePermission):
        def has_permission(self, request, view):
            if request.method in permissions.SAFE_METHODS and not safe_too:
                return bool(request.user and request.user.is_authenticated)
            return bool(request.user and request.user.has_perm(codename))

    return HasPerm


def _ok(serializer):
    if not serializer.is_valid():
        raise ValidationFailed(_("Invalid input."), code="invalid", details=serializer.errors)
    return serializer.validated_data


class InvoiceRequestCreateView(APIView):
    permission_classes = [perm("invoicing.add_invoicerequest")]

    @extend_schema(request=InvoiceRequestInSerializer, responses=InvoiceRequestOutSerializer)
    def post(self, request: Request) -> Response:
        data = _ok(InvoiceRequestInSerializer(data=request.data))
        created = invoice_request_create(
            order_oid=data["order"], kind=data["kind"], profile_id=data.get("profile"),
            buyer=data.get("buyer"), remark=data.get("remark", ""), actor=request.user,
        )
        return Response(InvoiceRequestOutSerializer(created).data, status=status.HTTP_201_CREATED)


class InvoiceRequestDetailView(APIView):
    @extend_schema(responses=InvoiceRequestOutSerializer)
    def get(self, request: Request, pk: int) -> Response:
        obj = selectors.invoice_request_get(request_id=pk)
        if obj is None:
            raise NotFound(_("no such invoice request"), code="invoice_request_not_found")
        return Response(InvoiceRequestOutSerializer(obj).data)


class InvoiceRequestSubmitView(APIView):
    permission_classes = [perm("invoicing.submit_invoicerequest")]

    @extend_schema(request=None, responses=InvoiceRequestOutSerializer)
    def post(self, request: Request, pk: int) -> Response:
        submitted = invoice_request_submit(request_id=pk, actor=request.user)
        return Response(InvoiceRequestOutSerializer(submitted).data,
                        status=status.HTTP_202_ACCEPTED)


class InvoiceListView(generics.ListAPIView):
    serializer_class = InvoiceOutSerializer

    @extend_schema(parameters=[OpenApiParameter("order", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        oid = self.request.query_params.get("order")
        if oid is not None:
            import uuid

            try:
                oid = uuid.UUID(oid)
            except ValueError:
                raise ValidationFailed(_("order must be an oid"), code="invalid") from None
        return selectors.invoice_list(order_oid=oid)


class InvoiceDetailView(APIView):
    @extend_schema(responses=InvoiceOutSerializer)
    def get(self, request: Request, pk: int) -> Response:
        obj = selectors.invoice_get(invoice_id=pk)
        if obj is None:
            raise NotFound(_("no such invoice"), code="invoice_not_found")
        return Response(InvoiceOutSerializer(obj).data)


class InvoiceRedView(APIView):
    permission_classes = [perm("invoicing.red_invoice")]

    @extend_schema(request=RedInSerializer, responses=InvoiceOutSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = _ok(RedInSerializer(data=request.data))
        lines = [{"index": x["index"], "total": x.get("total")} for x in data.get("lines", [])]
        red = invoice_red_create(invoice_id=pk, reason=data["reason"], lines=lines or None,
                                 actor=request.user)
        return Response(InvoiceOutSerializer(selectors.invoice_get(invoice_id=red.pk)).data,
                        status=status.HTTP_202_ACCEPTED)


class ModelPerms(permissions.DjangoModelPermissions):
    perms_map = {**permissions.DjangoModelPermissions.perms_map,
                 "GET": [], "HEAD": [], "OPTIONS": []}


class TaxCodeViewSet(viewsets.ModelViewSet):
    serializer_class = TaxCodeSerializer
    lookup_field = "code"
    pagination_class = None
    permission_classes = [ModelPerms]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.tax_code_list()


class TaxProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TaxProfileSerializer
    permission_classes = [ModelPerms]
    filterset_fields = ["customer", "tax_id", "title_type", "verified"]

    def get_queryset(self):
        return selectors.tax_profile_list()

    @property
    def paginator(self):
        from core.api.pagination import IdCursorPagination

        if not hasattr(self, "_paginator"):
            self._paginator = IdCursorPagination()
        return self._paginator

    def create(self, request):
        ser = TaxProfileSerializer(data=request.data)
        data = _ok(ser)
        customer = data.pop("customer", None)
        profile = tax_profile_create(data=data, customer=customer, actor=request.user)
        return Response(TaxProfileSerializer(profile).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        instance = self.get_object()
        data = _ok(TaxProfileSerializer(instance, data=request.data, partial=partial))
        kwargs = {"customer": data.pop("customer")} if "customer" in data else {}
        profile = tax_profile_update(profile_id=instance.pk, data=data, actor=request.user,
                                     **kwargs)
        return Response(TaxProfileSerializer(profile).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)
