from __future__ import annotations

from rest_framework import serializers

from core.api.fields import StrictCharField, StrictIntegerField
from warehouses.models import StockLevel, Warehouse
from warehouses.services.stock import LevelIn


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["code", "name", "kind", "province", "city", "lat", "lng", "cold_chain",
                  "daily_capacity", "active"]


class StockLevelOutSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    sku = serializers.CharField(source="sku.code")
    available = serializers.IntegerField(source="available_qty")

    class Meta:
        model = StockLevel
        fields = ["warehouse", "sku", "on_hand", "reserved", "available"]


class LevelInSerializer(serializers.Serializer):
    warehouse = StrictCharField(max_length=32)
    sku = StrictCharField(max_length=64)
    # Sign and existence are checked by the service so each problem gets its own code.
    on_hand = StrictIntegerField()


class StockSyncInSerializer(serializers.Serializer):
    sync_id = StrictCharField(max_length=128)
    levels = LevelInSerializer(many=True, allow_empty=False, max_length=20_000)

    def to_levels(self) -> list[LevelIn]:
        return [LevelIn(**row) for row in self.validated_data["levels"]]


class StockSyncOutSerializer(serializers.Serializer):
    sync_id = serializers.CharField(source="sync.sync_id")
    outcome = serializers.CharField()
    rows = serializers.IntegerField(source="sync.rows")
    changed = serializers.IntegerField(source="sync.changed")
    received_at = serializers.DateTimeField(source="sync.received_at")


class ReviewInSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
