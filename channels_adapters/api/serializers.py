"""Answers of the channel endpoints."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from rest_framework import serializers

from channels_adapters.models import InboundMessage, Outcome


class InboundMessageStatusSerializer(serializers.ModelSerializer):
    """An archived message or document and what became of it (no body, no headers).

    ``outcome`` is ``pending`` until a worker has taken it, then ``applied``,
    ``duplicate``, ``stale``, ``rejected`` or ``failed`` (a dead letter; ``error`` says why).
    """

    message_id = serializers.IntegerField(source="pk", read_only=True)
    error = serializers.SerializerMethodField()
    oid = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = InboundMessage
        fields = ["message_id", "platform", "kind", "shop_code", "channel_order_id", "outcome", "error",
                  "received_at", "processed_at", "oid", "status_url"]
        read_only_fields = fields

    def get_error(self, row: InboundMessage) -> str:
        """A refusal's ``code: message``; a failure's internals stay in the admin."""
        if row.outcome == Outcome.FAILED:
            return "ingest_failed: " + gettext("the document could not be ingested; it is in the "
                                               "dead-letter list")
        return row.error

    def get_oid(self, row: InboundMessage) -> str | None:
        return str(row.order.oid) if row.order_id else None

    def get_status_url(self, row: InboundMessage) -> str:
        path = reverse("channel-message-status", kwargs={"message_id": row.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
