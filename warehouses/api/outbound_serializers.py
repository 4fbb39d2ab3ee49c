"""Input/output serializers of ``/api/v1/outbound/batches/`` (public names: DESIGN §4)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from warehouses.carriers import CARRIERS
from warehouses.models import HandoverMode


class BatchCreateInSerializer(serializers.Serializer):
    orders = serializers.ListField(child=serializers.CharField(max_length=64), required=False,
                                   allow_empty=False, max_length=20_000)
    filter = serializers.DictField(required=False)
    name = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    carrier = serializers.ChoiceField(choices=[("", "auto"), *[(c, c) for c in CARRIERS]],
                                      required=False, default="")
    handover = serializers.ChoiceField(choices=HandoverMode.choices, required=False,
                                       default=HandoverMode.SCAN)

    def validate(self, attrs):
        if ("orders" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"orders": _("give either orders or filter")},
                                              code="orders_or_filter")
        return attrs


class HandoverInSerializer(serializers.Serializer):
    waves = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    orders = serializers.ListField(child=serializers.UUIDField(), required=False)


class PickLineOutSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    sku = serializers.CharField(source="sku.code")
    bin_location = serializers.CharField()
    quantity = serializers.IntegerField()
    orders = serializers.IntegerField(source="orders_count")


class WaveOutSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    warehouse = serializers.CharField(source="warehouse.code")
    carrier = serializers.CharField()
    template = serializers.CharField(source="kind")
    hot_sku = serializers.CharField(source="hot_sku.code", allow_null=True, default=None)
    status = serializers.CharField()
    orders = serializers.IntegerField(source="orders_count")
    lines = serializers.IntegerField(source="lines_count")
    units = serializers.IntegerField()
    weight_g = serializers.IntegerField()
    label_pages = serializers.IntegerField(source="labels_pages")
    pick_list = PickLineOutSerializer(source="pick_lines.all", many=True)


def item_result(item) -> dict:
    """One order's result in the batch: where it got, its parcels, or why it failed."""
    parcels = [{"package": p.package, "wave": p.wave.code, "carrier": p.carrier,
                "tracking_no": p.tracking_no, "status": p.status} for p in item.parcels.all()]
    plan = item.plan or {}
    return {
        "oid": str(item.order.oid),
        "channel_order_id": item.order.channel_order_id,
        "status": item.order.status,
        "result": item.step,
        "plan": {"warehouse": plan.get("warehouse"), "carrier": plan.get("carrier"),
                 "score": plan.get("score"), "approval_level": (plan.get("approval") or {})
                 .get("level"), "blockers": plan.get("blockers", [])},
        "parcels": parcels,
        "error": ({"code": item.error_code, "message": item.error} if item.error_code else None),
        "attempts": item.attempts,
    }


def batch_out(batch, *, counts: dict, waves, items) -> dict:
    return {
        "id": batch.pk,
        "status": batch.status,
        "name": batch.name,
        "source": batch.source,
        "filter": batch.filter,
        "carrier": batch.carrier,
        "handover": batch.handover,
        "counts": counts,
        "progress": {"done": batch.progress_done, "failed": batch.progress_failed,
                     "total": batch.total},
        "error": batch.error,
        "rollback": batch.rollback_report or None,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "rolled_back_at": batch.rolled_back_at,
        "waves": WaveOutSerializer(waves, many=True).data,
        "orders": [item_result(it) for it in items],
    }
