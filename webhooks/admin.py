"""Webhook events in the back office: read-only records, reprocessed through the service."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html

from audit.models import Action
from audit.services import audit_by_staff
from payments_service.admin import ReadOnlyAdmin, holds, id_column

from .models import RejectedDelivery, WebhookEvent
from .services import webhook_process


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = [
        "event_id",
        "event_type",
        "status",
        "attempts",
        id_column("payment_id", "payment"),
        "received_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "payment__id", "payment__razorpay_order_id"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "event_id",
        "event_type",
        "account_id",
        "status",
        "attempts",
        "last_error",
        "traceback",
        id_column("payment_id", "payment"),
        "created_at",
        "received_at",
        "processed_at",
        "signature",
        "received_headers",
        "payload",
    ]
    # The signature of a verified body helps nobody in the back office and lets whoever copies
    # it re-post the body: it is never shown (nor the raw body twice).
    exclude = ["body", "headers"]
    actions = ["reprocess"]

    @admin.display(description="signature")
    def signature(self, event: WebhookEvent) -> str:
        # Deliveries that fail verification are kept apart, as rejected deliveries.
        return "valid (verified on receipt)"

    @admin.display(description="headers")
    def received_headers(self, event: WebhookEvent) -> str:
        shown = {k: v for k, v in event.headers.items() if k.lower() != "x-razorpay-signature"}
        return format_html("<pre>{}</pre>", json.dumps(shown, indent=2, sort_keys=True))

    @admin.display(description="payload")
    def payload(self, event: WebhookEvent):
        try:
            pretty = json.dumps(json.loads(event.body), indent=2, sort_keys=True)
        except ValueError:
            pretty = event.body
        return format_html("<pre>{}</pre>", pretty)

    has_reprocess_permission = holds("webhooks.reprocess_webhookevent")

    @admin.action(description="Reprocess selected events", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        for event in queryset:
            try:
                result = webhook_process(event_pk=event.pk, force=True)
            except Exception as exc:
                self.message_user(request, f"Webhook event {event.event_id}: {exc}", messages.ERROR)
                continue
            audit_by_staff(
                request,
                action=Action.WEBHOOK_REPROCESS,
                object_type="webhook_event",
                object_id=event.event_id,
                detail=f"{event.event_type} {result.status}",
            )
            self.message_user(request, f"Webhook event {event.event_id}: {result.status}")


@admin.register(RejectedDelivery)
class RejectedDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "reason", "event_id", "remote_addr"]
    list_filter = ["reason"]
    search_fields = ["event_id"]
    fields = ["reason", "event_id", "signature_sent", "remote_addr", "received_at", "body"]
    readonly_fields = fields

    @admin.display(description="signature")
    def signature_sent(self, delivery: RejectedDelivery) -> str:
        # What was sent, not its value: enough to tell a forgery from a wrong secret.
        sent = delivery.signature
        if not sent:
            return "none"
        shape = "hex" if all(c in "0123456789abcdef" for c in sent.lower()) else "not hex"
        return f"{len(sent)} characters, {shape} (SHA-256 in hex is 64)"
