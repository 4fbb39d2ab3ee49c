"""Admin: the inbound archive (dead letters + replay) and the sandbox document store."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from channels_adapters.models import (
    InboundMessage,
    Outcome,
    PullCursor,
    ReconcileRun,
    SandboxDocument,
    SandboxMessage,
)
from channels_adapters.platforms import base
from channels_adapters.selectors import sync_shops
from channels_adapters.services.inbound import inbound_message_replay, replayable
from channels_adapters.services.pull import channel_pull_request
from channels_adapters.services.reconcile import reconcile_request
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
              "actor", "order_link", "headers", "body_preview"]
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
    list_display = ["platform", "app_key", "order_id", "modified", "updated_at"]
    list_filter = ["platform"]
    search_fields = ["=order_id", "=app_key"]


# ----------------------------------------------------------------------------- live sync


class CursorProblemFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "problem"

    def lookups(self, request, model_admin):
        return [("1", _("Last run failed")), ("0", _("Healthy"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.exclude(last_error="")
        if self.value() == "0":
            return queryset.filter(last_error="")
        return queryset


@admin.register(PullCursor)
class PullCursorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["shop", "kind", "position", "last_success_at", "last_run_at", "orders_ingested",
                    "short_error"]
    list_filter = [CursorProblemFilter, "shop__channel", "kind"]
    search_fields = ["=shop__code"]
    list_select_related = ["shop"]
    actions = ["pull_now"]

    @admin.display(description=_("last error"))
    def short_error(self, obj: PullCursor) -> str:
        return obj.last_error[:100]

    def has_pull_permission(self, request) -> bool:
        return request.user.has_perm("channels_adapters.run_reconcile")

    @admin.action(description=_("Pull the selected shops now"), permissions=["pull"])
    def pull_now(self, request, queryset):
        n = channel_pull_request(shops=[c.shop for c in queryset])
        self.message_user(request, ngettext("%(n)d pull queued.", "%(n)d pulls queued.", n) % {"n": n},
                          messages.SUCCESS)


@admin.register(ReconcileRun)
class ReconcileRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "shop", "window_start", "window_end", "trigger", "status", "checked", "missing_found",
                    "missing_fixed", "stale_found", "stale_fixed", "errors", "started_at", "finished_at"]
    list_filter = ["status", "trigger", "shop__channel", "shop"]
    search_fields = ["=shop__code"]
    list_select_related = ["shop"]
    date_hierarchy = "started_at"
    actions = ["run_again"]
    fields = ["shop", "window_start", "window_end", "trigger", "status", "checked", "missing_found",
              "missing_fixed", "stale_found", "stale_fixed", "errors", "started_at", "finished_at", "actor",
              "gaps_table", "error_log"]
    readonly_fields = fields
    change_list_template = "admin/channels_adapters/reconcilerun/change_list.html"

    def has_run_permission(self, request) -> bool:
        return request.user.has_perm("channels_adapters.run_reconcile")

    @admin.display(description=_("gaps closed"))
    def gaps_table(self, obj: ReconcileRun):
        if not obj.gaps:
            return "—"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (g.get("order_id", ""), g.get("kind", ""), g.get("modified") or "", g.get("outcome") or g.get("error", ""))
            for g in obj.gaps))
        return format_html('<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>',
                           _("order"), _("gap"), _("platform modified"), _("result"), rows)

    @admin.action(description=_("Run reconciliation again now for the selected runs' shops"),
                  permissions=["run"])
    def run_again(self, request, queryset):
        shops = {run.shop_id: run.shop for run in queryset.select_related("shop")}
        since = min((run.window_start for run in queryset), default=None)
        n = reconcile_request(shops=list(shops.values()), since=since, actor=request.user)
        self.message_user(request, ngettext("%(n)d reconciliation queued.", "%(n)d reconciliations queued.", n)
                          % {"n": n}, messages.SUCCESS)

    def get_urls(self):
        urls = [path("run-now/", self.admin_site.admin_view(self.run_now_view),
                     name="channels_adapters_reconcilerun_run_now")]
        return urls + super().get_urls()

    def run_now_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_run_permission(request):
            raise PermissionDenied
        shops = list(sync_shops())
        n = reconcile_request(shops=shops, since=None, actor=request.user)
        self.message_user(request, ngettext(
            "Reconciliation of the last 24 hours queued for %(n)d shop.",
            "Reconciliation of the last 24 hours queued for %(n)d shops.", n) % {"n": n}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:channels_adapters_reconcilerun_changelist"))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_run": self.has_run_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(SandboxMessage)
class SandboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "platform", "app_key", "topic", "order_id", "available_at", "deliveries",
                    "delivered_at", "confirmed_at"]
    list_filter = ["platform", "topic"]
    search_fields = ["=order_id", "=msg_id"]
