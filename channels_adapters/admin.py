"""Admin: the inbound archive (dead letters + replay) and the sandbox document store."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from channels_adapters.models import InboundMessage, Outcome, SandboxDocument
from channels_adapters.platforms import base
from channels_adapters.services.inbound import inbound_message_replay, replayable
from core.admin_mixins import BigTableAdminMixin, ReadOnlyAdminMixin
from core.errors import DomainError


class DeadLetterFilter(admin.SimpleListFilter):
    title = _("dead letters")
    parameter_name = "dead"

    def lookups(self, request, model_admin):
        return [("1", _("Failed (dead letters)")), ("0", _("Everything else"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(outcome=Outcome.FAILED)
        if self.value() == "0":
            return queryset.exclude(outcome=Outcome.FAILED)
        return queryset


@admin.register(InboundMessage)
class InboundMessageAdmin(BigTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "received_at", "platform", "shop_code", "kind", "topic", "channel_order_id",
                    "signature_ok", "outcome", "attempts", "seen_count", "order_link", "short_error"]
    list_filter = [DeadLetterFilter, "outcome", "platform", "kind", "signature_ok"]
    search_fields = ["=msg_id", "=channel_order_id", "=shop_code"]
    list_select_related = ["order"]
    date_hierarchy = "received_at"
    actions = ["replay"]
    fields = ["platform", "kind", "shop_code", "topic", "msg_id", "channel_order_id", "received_at",
              "signature_ok", "outcome", "error", "attempts", "seen_count", "processed_at",
              "order_link", "headers", "body_preview"]
    readonly_fields = fields

    @admin.display(description=_("order"))
    def order_link(self, obj: InboundMessage):
        if not obj.order_id:
            return "—"
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html('<a href="{}">{}</a>', url, obj.order.channel_order_id)

    @admin.display(description=_("error"))
    def short_error(self, obj: InboundMessage) -> str:
        return obj.error[:80]

    @admin.display(description=_("body (personal data redacted)"))
    def body_preview(self, obj: InboundMessage):
        raw = bytes(obj.body)
        try:
            text = base.dumps(base.redact(base.loads(raw)))
        except DomainError:
            text = _("(%(size)s bytes, not JSON — not shown)") % {"size": len(raw)}
        return format_html('<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}</pre>',
                           text)

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("channels_adapters.replay_inboundmessage")

    @admin.action(description=_("Replay selected failed messages"), permissions=["replay"])
    def replay(self, request, queryset):
        done, skipped = 0, 0
        for row in queryset.select_related(None).only("id", "outcome", "signature_ok", "shop_id"):
            if not replayable(row):
                skipped += 1
                continue
            try:
                inbound_message_replay(message_id=row.pk, actor=request.user)
                done += 1
            except DomainError:
                skipped += 1
        if done:
            self.message_user(request, ngettext(
                "%(n)d message queued for replay.", "%(n)d messages queued for replay.", done
            ) % {"n": done}, messages.SUCCESS)
        if skipped:
            self.message_user(request, ngettext(
                "%(n)d message skipped: only failed messages (and rejected documents) can be replayed.",
                "%(n)d messages skipped: only failed messages (and rejected documents) can be replayed.",
                skipped,
            ) % {"n": skipped}, messages.WARNING)


@admin.register(SandboxDocument)
class SandboxDocumentAdmin(admin.ModelAdmin):
    list_display = ["platform", "app_key", "order_id", "updated_at"]
    list_filter = ["platform"]
    search_fields = ["=order_id", "=app_key"]
