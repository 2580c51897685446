from rest_framework import serializers

from payments_service.serializers import (
    NotesField,
    OutputSerializer,
    StrictInputSerializer,
    StrictIntegerField,
    UtcDateTimeField,
)

from .models import SPEED_HELP, RefundSpeed, RefundStatus


class RefundCreateInput(StrictInputSerializer):
    # Absent: refund all that is left. The minimum and the refundable rest depend on the
    # payment, so the service checks them (the amount check before the minimum check).
    amount = StrictIntegerField(
        required=False,
        min_value=1,
        help_text="A JSON integer in the smallest unit; at most what is left to refund "
        "(else 409), at least the currency's minimum, as for a payment (INR 100: ₹1.00). Absent: "
        "all that is left.",
    )
    reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text="At most 255 characters."
    )
    speed = serializers.ChoiceField(
        choices=RefundSpeed.values,
        required=False,
        help_text=SPEED_HELP,
    )
    # Two notes are the service's own: refund_id and reason.
    notes = NotesField(
        reserved=2,
        required=False,
        help_text="Your string values, sent to Razorpay as notes: at most 13 keys of up to 64 "
        "characters, values up to 256 characters.",
    )


class _BlankAsNull(serializers.CharField):
    def to_representation(self, value):
        return value or None


class RefundOutput(OutputSerializer):
    # Declared, not a ModelSerializer, which rebuilds its fields on every response.
    id = serializers.CharField(help_text="Ours, opaque (`rfd_…`).")
    paymentId = serializers.CharField(source="payment_id", help_text="The payment refunded.")
    amount = serializers.IntegerField(help_text="In the currency's smallest unit.")
    currency = serializers.CharField(help_text="The payment's, ISO 4217.")
    status = serializers.ChoiceField(
        choices=RefundStatus.choices,
        help_text="pending until Razorpay settles it, then processed or failed (both final); "
        "awaiting_approval first when above the app's approval limit: not yet sent to Razorpay "
        "(its amount is held), then pending once a person approves it, or failed if rejected or "
        "not approved in time.",
    )
    speedRequested = serializers.CharField(source="speed_requested", help_text="normal or optimum.")
    speedProcessed = _BlankAsNull(
        source="speed_processed", allow_null=True, help_text="Razorpay's: normal or instant."
    )
    reason = serializers.CharField(help_text="Empty when not given.")
    notes = serializers.DictField(
        child=serializers.CharField(), help_text="The client's own notes."
    )
    razorpayRefundId = _BlankAsNull(
        source="razorpay_refund_id", allow_null=True, help_text="Null until Razorpay answers."
    )
    failureReason = _BlankAsNull(
        source="failure_reason", allow_null=True, help_text="Why it failed; null otherwise."
    )
    createdAt = UtcDateTimeField(source="created_at", help_text="ISO 8601, UTC.")
    updatedAt = UtcDateTimeField(source="updated_at", help_text="ISO 8601, UTC.")
    processedAt = UtcDateTimeField(
        source="processed_at", allow_null=True, help_text="When it was processed; else null."
    )
    version = serializers.IntegerField(
        help_text="Grows with every change: of two copies of this refund, the higher is newer."
    )
