"""How a dispute is shown to client apps (the data of its events)."""

from rest_framework import serializers

from payments_service.serializers import OutputSerializer, UtcDateTimeField

from .models import DisputeStatus


class DisputeOutput(OutputSerializer):
    id = serializers.CharField(help_text="Ours, opaque (`dsp_…`).")
    razorpayDisputeId = serializers.CharField(source="razorpay_dispute_id", help_text="`disp_…`.")
    paymentId = serializers.CharField(source="payment_id", help_text="The payment disputed.")
    amount = serializers.IntegerField(help_text="Disputed, in the currency's smallest unit.")
    amountDeducted = serializers.IntegerField(
        source="amount_deducted", help_text="Taken back by Razorpay (a lost dispute)."
    )
    currency = serializers.CharField(help_text="The payment's, ISO 4217.")
    reasonCode = serializers.CharField(source="reason_code", help_text="The bank's reason.")
    phase = serializers.CharField(help_text="fraud, retrieval, chargeback, pre_arbitration…")
    status = serializers.ChoiceField(
        choices=DisputeStatus.choices,
        help_text="open → under_review / action_required → won, lost or closed (final).",
    )
    respondBy = UtcDateTimeField(source="respond_by", help_text="The deadline to answer.")
    evidenceSubmittedAt = UtcDateTimeField(
        source="evidence_submitted_at", allow_null=True, help_text="When evidence was submitted."
    )
    version = serializers.IntegerField(help_text="Grows with every change.")
    createdAt = UtcDateTimeField(source="created_at", help_text="ISO 8601, UTC.")
    updatedAt = UtcDateTimeField(source="updated_at", help_text="ISO 8601, UTC.")
