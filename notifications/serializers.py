from rest_framework import serializers

from payments_service.serializers import OutputSerializer, UtcDateTimeField

from .models import event_position
from .services import EVENT_TYPES


class EventOutput(OutputSerializer):
    """An event: the same JSON the feed serves and a delivery will POST."""

    id = serializers.CharField(help_text="`evt_…`; ids sort in feed order.")
    type = serializers.ChoiceField(choices=EVENT_TYPES)
    createdAt = UtcDateTimeField(source="created_at")
    actor = serializers.ChoiceField(
        choices=["app", "razorpay", "staff", "system"],
        help_text="Who made the change: the app itself (API), Razorpay (a webhook), staff "
        "(the back office) or the service (commands, chores, reconciliation).",
    )
    data = serializers.DictField(
        help_text="The payment or refund exactly as the API returned it then; its `version` "
        "only grows, so a receiver can drop an event older than what it has."
    )


class EventFeedOutput(OutputSerializer):
    results = EventOutput(many=True)
    hasMore = serializers.BooleanField(help_text="Whether events after the last one are there.")


class EventFeedFilters(serializers.Serializer):
    after = serializers.CharField(
        required=False, help_text="The last event id seen: the feed continues after it."
    )
    type = serializers.CharField(
        required=False, help_text="Only these types, comma-separated (e.g. payment.captured)."
    )
    pageSize = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)

    def validate_after(self, value: str) -> str:
        if event_position(value) is None:
            raise serializers.ValidationError("Not an event id (evt_ and 16 hex digits).")
        return value

    def validate_type(self, value: str) -> list[str]:
        types = [each.strip() for each in value.split(",") if each.strip()]
        unknown = sorted(set(types) - set(EVENT_TYPES))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown event type(s): {', '.join(unknown)}. Known: {', '.join(EVENT_TYPES)}."
            )
        return types


class WebhookEndpointInput(serializers.Serializer):
    url = serializers.CharField(
        max_length=2048,
        help_text="Where events are POSTed: `https://` in production, on a public address.",
    )
    events = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        max_length=len(EVENT_TYPES),
        help_text="The event types it gets; omitted or empty: every type.",
    )


class WebhookEndpointOutput(OutputSerializer):
    id = serializers.CharField(help_text="`we_…`")
    url = serializers.CharField()
    events = serializers.ListField(
        child=serializers.CharField(),
        help_text="The event types it gets (those of `GET /events`); empty: every type.",
    )
    enabled = serializers.BooleanField(
        help_text="False once disabled (failing for NOTIFY_DISABLE_AFTER_DAYS, or by staff)."
    )
    createdAt = UtcDateTimeField(source="created_at")


class WebhookEndpointSecretOutput(WebhookEndpointOutput):
    secret = serializers.CharField(
        help_text="`whsec_…`: the Standard Webhooks signing secret, shown in this answer only."
    )
