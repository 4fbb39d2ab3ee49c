from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.fields import MoneyField, StrictCharField, StrictIntegerField
from invoicing.models import Invoice, InvoiceKind, InvoiceRequest, RedReason, TaxCode, TaxProfile


class BuyerInSerializer(serializers.Serializer):
    title_type = StrictCharField()
    name = StrictCharField(allow_blank=True, trim_whitespace=False)
    tax_id = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, max_length=64)
    address = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    phone = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    bank = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    account = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    email = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)


class InvoiceRequestInSerializer(serializers.Serializer):
    order = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=InvoiceKind.values)
    profile = StrictIntegerField(required=False)
    buyer = BuyerInSerializer(required=False)
    remark = StrictCharField(required=False, allow_blank=True, max_length=400)

    def validate(self, attrs):
        if "profile" in attrs and "buyer" in attrs:
            raise serializers.ValidationError(_("give either profile or buyer, not both"))
        return attrs


class InvoiceRequestOutSerializer(serializers.ModelSerializer):
    order = serializers.UUIDField(source="order.oid")
    invoices = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceRequest
        fields = ["id", "order", "kind", "status", "profile", "buyer", "remark", "precheck",
                  "plan", "invoices", "created_at", "updated_at"]

    def get_invoices(self, obj) -> list[int]:
        return [x.pk for x in obj.invoices.all()]


class InvoiceOutSerializer(serializers.ModelSerializer):
    order = serializers.UUIDField(source="request.order.oid")
    kind = serializers.CharField(source="request.kind")
    request = serializers.IntegerField(source="request_id")
    blue = serializers.CharField(source="blue.number", default=None)
    amount = MoneyField(allow_negative=True)
    tax = MoneyField(allow_negative=True)
    total = MoneyField(allow_negative=True)

    class Meta:
        model = Invoice
        fields = ["id", "request", "order", "kind", "direction", "status", "part", "parts",
                  "number", "amount", "tax", "total", "remark", "lines", "issued_at", "pdf_url",
                  "xml_url", "blue", "red_reason", "red_proposal", "reject_code",
                  "reject_message", "gateway_request_id", "created_at"]


class RedLineSerializer(serializers.Serializer):
    index = StrictIntegerField(min_value=1)
    total = MoneyField(required=False)


class RedInSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=RedReason.values)
    lines = RedLineSerializer(many=True, required=False)


class TaxCodeSerializer(serializers.ModelSerializer):
    code = serializers.RegexField(r"^\d{19}$", max_length=19)

    class Meta:
        model = TaxCode
        fields = ["code", "name", "short_name", "rate", "exemption", "valid_from", "valid_to"]


class TaxProfileSerializer(serializers.ModelSerializer):
    tax_id = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, max_length=32)
    name = StrictCharField(max_length=200, trim_whitespace=False)

    class Meta:
        model = TaxProfile
        fields = ["id", "customer", "title_type", "name", "tax_id", "address", "phone", "bank",
                  "account", "email", "verified", "version", "created_at", "updated_at"]
        read_only_fields = ["version", "created_at", "updated_at"]
        validators = []  # uniqueness is the service's (409 duplicate_profile)
