"""Disputes: a customer's bank taking a captured payment's money back (a chargeback), unless
the merchant answers with evidence before Razorpay's deadline."""

from django.db import models

from payments.models import Payment, Source
from payments_service.ids import new_id


def _dispute_id() -> str:
    return new_id("dsp")


class DisputeStatus(models.TextChoices):
    """Forward only by `RANK`: open → under_review / action_required → won | lost | closed."""

    OPEN = "open", "open"  # raised; the merchant may accept or contest it until respond_by
    UNDER_REVIEW = "under_review", "under review"  # evidence submitted; the bank decides
    # Razorpay needs more evidence: answerable again, like an open one.
    ACTION_REQUIRED = "action_required", "action required"
    WON = "won", "won"  # decided for the merchant: nothing deducted
    LOST = "lost", "lost"  # decided for the customer (or accepted): amount_deducted taken back
    CLOSED = "closed", "closed"  # ended without a decision (e.g. withdrawn)


RANK = {
    DisputeStatus.OPEN: 0,
    DisputeStatus.UNDER_REVIEW: 1,
    DisputeStatus.ACTION_REQUIRED: 1,  # the two alternate while Razorpay and we talk
    DisputeStatus.WON: 2,
    DisputeStatus.LOST: 2,
    DisputeStatus.CLOSED: 2,
}
FINAL = {DisputeStatus.WON, DisputeStatus.LOST, DisputeStatus.CLOSED}
# Not decided yet: the amount is held against the payment (a refund needs an override).
UNDECIDED = {DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW, DisputeStatus.ACTION_REQUIRED}
# Where Razorpay takes an acceptance or a contest (and respond_by has not passed).
RESPONDABLE = {DisputeStatus.OPEN, DisputeStatus.ACTION_REQUIRED}


class Dispute(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=_dispute_id, editable=False)
    razorpay_dispute_id = models.CharField(max_length=40, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    razorpay_payment_id = models.CharField(max_length=40)
    amount = models.PositiveBigIntegerField(help_text="Disputed, in the smallest unit.")
    currency = models.CharField(max_length=3)
    amount_deducted = models.PositiveBigIntegerField(
        default=0, help_text="Taken back by Razorpay (a lost dispute)."
    )
    reason_code = models.CharField(max_length=100, blank=True)
    phase = models.CharField(
        max_length=32, blank=True, help_text="fraud, retrieval, chargeback, pre_arbitration…"
    )
    status = models.CharField(
        max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    respond_by = models.DateTimeField(help_text="Razorpay's deadline to accept or contest.")
    evidence_summary = models.TextField(blank=True)
    evidence_amount = models.PositiveBigIntegerField(null=True, blank=True)
    evidence_documents = models.JSONField(default=list, blank=True, help_text="doc_ ids.")
    evidence_submitted_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(
        max_length=16, choices=Source.choices, help_text="How we first heard of it."
    )
    opened_at = models.DateTimeField(help_text="When Razorpay raised it.")
    # Grows with every change (the events' `version`).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["respond_by", "id"]
        indexes = [models.Index(fields=["status", "respond_by"], name="dispute_status_due")]
        permissions = [("respond_dispute", "Can accept or contest disputes")]

    def __str__(self) -> str:
        return self.id
