from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from ..event_types import EVENT_TYPES
from ..models import Contract, Delivery, DeliveryAttempt, Subscription


class ContractSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)
    name = serializers.CharField(required=False, max_length=100)
    timeout_seconds = serializers.DecimalField(max_digits=5, decimal_places=2, required=False,
                                               min_value=Decimal("0.1"))

    class Meta:
        model = Contract
        fields = ["id", "name", "system", "order_number_length", "order_number_prefix",
                  "order_number_charset", "max_requests_per_second", "timeout_seconds",
                  "payload_variant", "max_body_bytes", "notes"]
        extra_kwargs = {"order_number_length": {"min_value": 8, "max_value": 64}}


class SubscriptionSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(write_only=True, max_length=200)
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES),
                                        required=False)
    contract = ContractSerializer(required=False, allow_null=True)

    class Meta:
        model = Subscription
        fields = ["id", "name", "url", "secret", "event_types", "active", "contract",
                  "consecutive_failures", "breaker_open_until", "created_at", "updated_at"]
        read_only_fields = ["consecutive_failures", "breaker_open_until", "created_at",
                            "updated_at"]


class EventBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="event_id")
    type = serializers.CharField()
    oid = serializers.UUIDField(allow_null=True)
    occurred_at = serializers.DateTimeField()


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "outcome",
                  "response_excerpt", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    event = EventBriefSerializer()

    class Meta:
        model = Delivery
        fields = ["id", "subscription", "event", "status", "attempts", "attempt_limit",
                  "next_attempt_at", "last_status_code", "last_error", "created_at",
                  "finished_at"]


class DeliveryDetailSerializer(DeliverySerializer):
    attempt_log = AttemptSerializer(many=True)
    body = serializers.CharField()

    class Meta(DeliverySerializer.Meta):
        fields = DeliverySerializer.Meta.fields + ["body", "attempt_log"]


class ReplayInSerializer(serializers.Serializer):
    since = serializers.DateTimeField()


class CountOutSerializer(serializers.Serializer):
    count = serializers.IntegerField()
