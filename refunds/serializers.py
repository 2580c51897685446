from rest_framework import serializers

from payments_service.serializers import NotesField, StrictInputSerializer, StrictIntegerField

from .models import RefundSpeed, RefundStatus


class RefundCreateInput(StrictInputSerializer):
    # Absent: refund all that is left. The minimum and the refundable rest depend on the
    # payment, so the service checks them (the amount check before the minimum check).
    amount = StrictIntegerField(required=False, min_value=1)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True)
    speed = serializers.ChoiceField(choices=RefundSpeed.values, required=False)
    # Two notes are the service's own: refund_id and reason.
    notes = NotesField(reserved=2, required=False)


class _BlankAsNull(serializers.CharField):
    def to_representation(self, value):
        return value or None


class RefundOutput(serializers.Serializer):
    # Declared, not a ModelSerializer, which rebuilds its fields on every response.
    id = serializers.CharField()
    paymentId = serializers.CharField(source="payment_id")
    amount = serializers.IntegerField(help_text="In the currency's smallest unit.")
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=RefundStatus.choices)
    speedRequested = serializers.CharField(source="speed_requested")
    speedProcessed = _BlankAsNull(source="speed_processed", allow_null=True)
    reason = serializers.CharField(help_text="Empty when not given.")
    notes = serializers.DictField(
        child=serializers.CharField(), help_text="The client's own notes."
    )
    razorpayRefundId = _BlankAsNull(source="razorpay_refund_id", allow_null=True)
    failureReason = _BlankAsNull(source="failure_reason", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    processedAt = serializers.DateTimeField(source="processed_at", allow_null=True)
    version = serializers.IntegerField(
        help_text="Grows with every change: of two copies of this refund, the higher is newer."
    )
