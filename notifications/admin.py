"""Events, webhook endpoints and their deliveries in the back office. Endpoints are added
with a form (the secret shown once, as an API key is), and rotated, disabled, enabled or sent a
test event by actions; every event shows its deliveries, every delivery its attempts, and a
delivery can be sent again. The actions call the same services as the API and the command."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from payments_service.admin import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    TimesInUtc,
    badge,
    holds,
    id_column,
    status_column,
)

from .models import Delivery, DeliveryAttempt, Event, WebhookEndpoint
from .services import (
    EVENT_TYPES,
    EndpointInvalid,
    delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
)


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ["link", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at"]

    @admin.display(description="delivery")
    def link(self, delivery: Delivery):
        return format_html(
            '<a href="../../delivery/{}/change/">{}</a>', delivery.pk, f"#{delivery.pk}"
        )


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """What each client app was told, in feed order, and where it was delivered."""

    list_display = [
        "id",
        "type",
        "client_app",
        id_column("object_id", "object"),
        "actor",
        "created_at",
    ]
    list_filter = ["type", "client_app", "actor", "created_at"]
    search_fields = ["=object_id"]
    list_select_related = ["client_app"]
    show_full_result_count = False
    readonly_fields = ["id", "type", "client_app", "object_id", "actor", "data", "created_at"]
    fields = readonly_fields
    inlines = [DeliveryInline]


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(kind, kind) for kind in EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every type.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["client_app", "url", "events"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.instance, self.secret = webhook_endpoint_create(
                client_app=cleaned["client_app"], url=cleaned["url"], events=cleaned["events"]
            )
        except EndpointInvalid as exc:
            self.add_error(exc.field, exc.message)
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TimesInUtc, admin.ModelAdmin):
    """Adding one shows its secret once; changes go through the actions."""

    list_display = ["id", "client_app", "url", "state", "types", "last_success_at", "created_at"]
    list_filter = ["enabled", "client_app"]
    search_fields = ["=id", "url"]
    list_select_related = ["client_app"]
    actions = ["rotate_secret", "disable", "enable", "send_test_event"]
    readonly_fields = [
        "id",
        "client_app",
        "url",
        "types",
        "state",
        "created_at",
        "last_success_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "previous_secret_until",
        "after_seq",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = WebhookEndpointForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["client_app", "url", "events"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:  # made by the form's service call: show its secret once
            self._show_secret_once(request, form.instance, form.secret)

    def has_change_permission(self, request, obj=None) -> bool:
        # The page is read-only; the actions (rotate, disable, ...) need the permission.
        return super().has_change_permission(request, obj) and obj is None

    def has_manage_permission(self, request) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.display(description="state")
    def state(self, endpoint: WebhookEndpoint):
        if endpoint.enabled:
            return badge("enabled")
        return format_html("{} {}", badge("disabled"), endpoint.disabled_reason)

    @admin.display(description="event types")
    def types(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events) or "every type"

    @admin.action(
        description="Rotate the signing secret (the old one signs 24 h more)",
        permissions=["manage"],
    )
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            self._show_secret_once(
                request, endpoint, webhook_endpoint_rotate_secret(endpoint=endpoint)
            )

    @admin.action(description="Disable (pending deliveries are failed)", permissions=["manage"])
    def disable(self, request, queryset):
        for endpoint in queryset.filter(enabled=True):
            webhook_endpoint_disable(
                endpoint=endpoint, reason=f"disabled by staff ({request.user.get_username()})"
            )
        self.message_user(request, "Disabled.", messages.WARNING)

    @admin.action(description="Enable (events from now on)", permissions=["manage"])
    def enable(self, request, queryset):
        for endpoint in queryset.filter(enabled=False):
            webhook_endpoint_enable(endpoint=endpoint)
        self.message_user(request, "Enabled.")

    @admin.action(description="Send a test event (endpoint.test)", permissions=["manage"])
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            delivery = webhook_endpoint_send_test(endpoint=endpoint)
            self.message_user(
                request,
                f"Test delivery #{delivery.pk} to {endpoint.url} queued: the worker sends it "
                "within seconds (see Deliveries).",
            )

    def _show_secret_once(self, request, endpoint, secret):
        self.message_user(
            request,
            f"Signing secret of {endpoint.pk}: {secret} — copy it now, it is not shown again.",
            messages.SUCCESS,
        )


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ["started_at", "status_code", "latency_ms", "error", "response_excerpt"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Each event's POSTs to each endpoint, with every attempt; redeliver sends it again."""

    list_display = [
        "id",
        "webhook_id",
        "type",
        "endpoint",
        "status_badge",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "endpoint__client_app", "created_at"]
    search_fields = ["=event__object_id", "=endpoint__id"]
    list_select_related = ["event", "endpoint"]
    show_full_result_count = False
    actions = ["redeliver"]
    inlines = [DeliveryAttemptInline]
    fields = readonly_fields = [
        "webhook_id",
        "type",
        "event",
        "endpoint",
        "status_badge",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    ]

    @admin.display(description="webhook-id")
    def webhook_id(self, delivery: Delivery) -> str:
        return delivery.message_id

    @admin.display(description="type")
    def type(self, delivery: Delivery) -> str:
        return delivery.event.type if delivery.event_id else delivery.test_body.get("type", "")

    status_badge = status_column

    has_redeliver_permission = holds("notifications.change_webhookendpoint")

    @admin.action(description="Redeliver now (same webhook-id)", permissions=["redeliver"])
    def redeliver(self, request, queryset):
        sent = sum(delivery_redeliver(delivery=delivery) for delivery in queryset)
        self.message_user(request, f"{sent} delivery(ies) due again now; the worker sends them.")
