from __future__ import annotations

from rest_framework import serializers

from core.api.fields import StrictCharField

from ..models import Alert


class AlertOutSerializer(serializers.ModelSerializer):
    oid = serializers.UUIDField(source="order.oid", default=None, read_only=True)
    channel_order_id = serializers.CharField(source="order.channel_order_id", default=None,
                                             read_only=True)
    open = serializers.BooleanField(source="is_open", read_only=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None,
                                            read_only=True)
    resolved_by = serializers.CharField(source="resolved_by.username", default=None,
                                        read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "kind", "severity", "status", "open", "oid", "channel_order_id", "key",
                  "details", "opened_at", "acknowledged_at", "acknowledged_by", "resolved_at",
                  "resolved_by", "resolution", "assignee"]
        read_only_fields = fields


class ChooseInSerializer(serializers.Serializer):
    option = StrictCharField(max_length=255)


class DecisionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    option_id = serializers.CharField()
    option = serializers.JSONField()
    extra_cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    chosen_at = serializers.DateTimeField()
