"""Admin: subscriptions, contracts (系统交互备忘录), deliveries, attempts, sandbox receivers.

Deliveries, attempts and outbox events are machine-written: read-only, no COUNT(*).
Retry and replay are actions that call the services.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_mixins import BigTableAdminMixin, ReadOnlyAdminMixin
from core.errors import DomainError

from .event_types import EVENT_TYPES
from .models import (
    Contract,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    OutboxEvent,
    ReceivedWebhook,
    SandboxReceiver,
    Subscription,
)
from .services.operations import (
    deliveries_retry,
    subscription_breaker_reset,
    subscription_replay,
)
from .services.subscriptions import contract_save, subscription_create, subscription_update


class RetryPermissionMixin:
    def has_retry_permission(self, request):
        return request.user.has_perm("subscribers.retry_delivery")


class SubscriptionForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("secret"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Write-only. Leave empty to keep the current secret."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("event types"), required=False, choices=[(t, t) for t in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked = every event type."),
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "secret", "event_types", "active", "contract"]

    def clean_secret(self):
        secret = self.cleaned_data.get("secret")
        if not secret and not self.instance.pk:
            raise forms.ValidationError(_("A new subscription needs a secret."))
        return secret


class ReplayForm(forms.Form):
    since = forms.DateTimeField(
        label=_("replay events since"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Every event from this time on is sent again, in order (new deliveries, "
                    "original event ids)."),
    )


@admin.register(Subscription)
class SubscriptionAdmin(RetryPermissionMixin, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["name", "url", "active", "types_display", "contract", "circuit",
                    "consecutive_failures"]
    list_filter = ["active", "contract"]
    search_fields = ["name", "url"]
    list_select_related = ["contract"]
    readonly_fields = ["consecutive_failures", "breaker_open_until", "created_at", "updated_at"]
    actions = ["activate", "deactivate", "reset_breaker", "replay_since"]

    @admin.display(description=_("event types"))
    def types_display(self, obj):
        return ", ".join(obj.event_types) if obj.event_types else _("all")

    @admin.display(description=_("circuit"))
    def circuit(self, obj):
        if obj.breaker_open_until and obj.breaker_open_until > timezone.now():
            return format_html('<span style="color:#b00">{} {}</span>', _("paused until"),
                               timezone.localtime(obj.breaker_open_until).strftime("%H:%M:%S"))
        return _("closed")

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k != "secret" or v}
        if change:
            data["contract"] = {"id": data["contract"].pk} if data.get("contract") else None
            saved = subscription_update(subscription=obj, data=data, actor=request.user)
        else:
            saved = subscription_create(actor=request.user, **data)
        obj.pk = saved.pk

    @admin.action(description=_("Activate selected subscriptions"), permissions=["change"])
    def activate(self, request, queryset):
        for sub in queryset:
            subscription_update(subscription=sub, data={"active": True}, actor=request.user)
        self.message_user(request, _("Activated."), messages.SUCCESS)

    @admin.action(description=_("Deactivate selected subscriptions"), permissions=["change"])
    def deactivate(self, request, queryset):
        for sub in queryset:
            subscription_update(subscription=sub, data={"active": False}, actor=request.user)
        self.message_user(request, _("Deactivated: no new deliveries are created for them."),
                          messages.SUCCESS)

    @admin.action(description=_("Close the circuit breaker (send again now)"),
                  permissions=["change"])
    def reset_breaker(self, request, queryset):
        for sub in queryset:
            subscription_breaker_reset(subscription=sub, actor=request.user)
        self.message_user(request, _("Circuit closed; pending deliveries go out now."),
                          messages.SUCCESS)

    @admin.action(description=_("Replay events from a time T…"), permissions=["retry"])
    def replay_since(self, request, queryset):
        form = ReplayForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for sub in queryset:
                try:
                    count = subscription_replay(subscription=sub,
                                                since=form.cleaned_data["since"],
                                                actor=request.user)
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                    return None
                self.message_user(request, _("%(sub)s: %(n)d events queued again.")
                                  % {"sub": sub, "n": count}, messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/subscribers/subscription/replay.html", {
            **self.admin_site.each_context(request),
            "title": _("Replay events"), "form": form, "queryset": queryset,
            "opts": self.model._meta, "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action": "replay_since",
        })


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["name", "system", "notes", "order_number_length", "order_number_prefix",
                  "order_number_charset", "max_requests_per_second", "timeout_seconds",
                  "payload_variant", "max_body_bytes"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    form = ContractForm
    list_display = ["name", "system", "order_number_length", "order_number_prefix",
                    "max_requests_per_second", "timeout_seconds", "payload_variant",
                    "max_body_bytes"]
    list_filter = ["payload_variant", "order_number_charset"]
    search_fields = ["name", "system", "notes"]
    fieldsets = [
        (None, {"fields": ["name", "system", "notes"]}),
        (_("Order numbers"), {"fields": ["order_number_length", "order_number_prefix",
                                         "order_number_charset"]}),
        (_("Transport"), {"fields": ["max_requests_per_second", "timeout_seconds",
                                     "payload_variant", "max_body_bytes"]}),
    ]

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.cleaned_data}
        saved = contract_save(contract=obj if change else None, data=data, default_name=obj.name)
        obj.pk = saved.pk


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "status_code", "outcome", "error",
              "response_excerpt"]
    readonly_fields = fields
    ordering = ["number", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(RetryPermissionMixin, BigTableAdminMixin, ReadOnlyAdminMixin,
                    admin.ModelAdmin):
    list_display = ["created_at", "event_type", "subscription", "oid", "status_display",
                    "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status", "event_type", "subscription"]
    list_select_related = ["subscription"]
    search_fields = ["=id", "=oid"]
    ordering = ["-created_at"]
    inlines = [AttemptInline]
    readonly_fields = ["id", "subscription", "event", "oid", "seq", "event_type", "status",
                       "attempts", "attempt_limit", "next_attempt_at", "lease_until",
                       "last_status_code", "last_error", "replay_of", "created_at",
                       "finished_at", "body"]
    actions = ["retry", "replay_from_here"]

    COLORS = {DeliveryStatus.SUCCEEDED: "#080", DeliveryStatus.FAILED: "#b00",
              DeliveryStatus.DEAD: "#b00", DeliveryStatus.REFUSED: "#b60"}

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        return format_html('<b style="color:{}">{}</b>', self.COLORS.get(obj.status, "#666"),
                           obj.get_status_display())

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        try:
            value = uuid.UUID(term)
        except ValueError:
            return queryset.none() if term else queryset, False
        return queryset.filter(id=value) | queryset.filter(oid=value), False

    @admin.action(description=_("Retry selected (failed, dead-lettered or refused)"),
                  permissions=["retry"])
    def retry(self, request, queryset):
        count = deliveries_retry(delivery_ids=list(queryset.values_list("pk", flat=True)),
                                 actor=request.user)
        self.message_user(request, _("%(n)d deliveries queued again.") % {"n": count},
                          messages.SUCCESS if count else messages.WARNING)

    @admin.action(description=_("Replay each subscription from the earliest selected event"),
                  permissions=["retry"])
    def replay_from_here(self, request, queryset):
        starts: dict[int, object] = {}
        for delivery in queryset.select_related("event", "subscription"):
            sub = delivery.subscription
            if sub.pk not in starts or delivery.event.occurred_at < starts[sub.pk][1]:
                starts[sub.pk] = (sub, delivery.event.occurred_at)
        for sub, since in starts.values():
            count = subscription_replay(subscription=sub, since=since, actor=request.user)
            self.message_user(request, _("%(sub)s: %(n)d events queued again.")
                              % {"sub": sub, "n": count}, messages.SUCCESS)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(BigTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "delivery_link", "number", "status_code", "outcome",
                    "duration_ms", "error"]
    list_filter = ["outcome", "status_code"]
    raw_id_fields = ["delivery"]
    ordering = ["-id"]

    @admin.display(description=_("delivery"))
    def delivery_link(self, obj):
        url = reverse("admin:subscribers_delivery_change", args=[obj.delivery_id])
        return format_html('<a href="{}">{}</a>', url, str(obj.delivery_id)[:8])


@admin.register(OutboxEvent)
class OutboxEventAdmin(BigTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "type", "oid", "event_id"]
    list_filter = ["type"]
    search_fields = ["=oid", "=event_id"]
    ordering = ["-id"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        try:
            value = uuid.UUID(term)
        except ValueError:
            return queryset.none() if term else queryset, False
        return queryset.filter(oid=value) | queryset.filter(event_id=value), False


@admin.register(SandboxReceiver)
class SandboxReceiverAdmin(admin.ModelAdmin):
    list_display = ["name", "mode", "fail_next", "slow_seconds", "url"]
    list_editable = ["mode", "fail_next"]

    @admin.display(description=_("URL"))
    def url(self, obj):
        return f"/sandbox/receivers/{obj.name}/"


@admin.register(ReceivedWebhook)
class ReceivedWebhookAdmin(BigTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "receiver", "event_type", "oid", "signature_ok", "answered"]
    list_filter = ["receiver", "signature_ok", "answered", "event_type"]
    ordering = ["-id"]
