"""Refunds: money going back on a captured payment, reserved here before Razorpay is asked."""

from django.db import models

from payments.models import Payment, Source
from payments_service.ids import new_id


def _refund_id() -> str:
    return new_id("rfd")


class RefundStatus(models.TextChoices):
    """Forward-only: [awaiting_approval →] pending → processed | failed; both are final."""

    # Four-eyes: above an approval threshold it is reserved (its amount counts against the
    # payment) but not sent until a second finance user approves it (→ pending); rejected or
    # left past its deadline it fails, freeing the amount. Razorpay never hears of it until then.
    AWAITING_APPROVAL = "awaiting_approval", "awaiting approval"
    # Reserved here (its amount counts against the payment) and sent, or being sent, to
    # Razorpay; a webhook, the API's answer or `sync_refunds` settles it.
    PENDING = "pending", "pending"
    PROCESSED = "processed", "processed"  # Razorpay returned the money; counts in amount_refunded
    FAILED = "failed", "failed"  # refused or failed at Razorpay; its amount is refundable again


FINAL = {RefundStatus.PROCESSED, RefundStatus.FAILED}


class RefundSpeed(models.TextChoices):
    NORMAL = "normal", "normal"  # 5-7 working days
    OPTIMUM = "optimum", "optimum"  # instant where the bank allows, else normal


# What the API, the admin's refund form and refund_payment --speed tell whoever picks a speed.
SPEED_HELP = "normal (default, 5-7 working days) or optimum (instant where possible)."


class Refund(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=_refund_id, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField(help_text="In the currency's smallest unit.")
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=24, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    # The Razorpay payment refunded: the payment's own, or another of its attempts (Razorpay
    # refunds a duplicate capture of the same order by itself), which does not count against it.
    razorpay_payment_id = models.CharField(max_length=40)
    # Null until Razorpay answers: a refund whose create call timed out has none yet.
    razorpay_refund_id = models.CharField(max_length=40, unique=True, null=True, blank=True)
    speed_requested = models.CharField(
        max_length=16, choices=RefundSpeed.choices, default=RefundSpeed.NORMAL
    )
    speed_processed = models.CharField(max_length=16, blank=True, help_text="normal or instant.")
    reason = models.CharField(max_length=255, blank=True)
    notes = models.JSONField(default=dict, blank=True, help_text="The client's own notes.")
    requested_by = models.CharField(
        max_length=160, blank=True, help_text='"app:<name>", "user:<username>", "command"…'
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    failure_reason = models.TextField(blank=True)
    # Four-eyes refunds only: until when it may be approved, and who decided, when and why.
    approval_expires_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(
        max_length=150, blank=True, help_text="The staff user who approved or rejected it."
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(max_length=255, blank=True)
    # Grows with every change (the API's and the events' `version`).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")
        ]
        indexes = [
            models.Index(fields=["payment", "status"]),  # the refundable sum
            models.Index(fields=["status", "created_at"]),  # sync_refunds' unsettled ones
            # What changed since: the dashboard's day summaries are trusted until then.
            models.Index(fields=["updated_at"], name="refund_updated_idx"),
        ]
        permissions = [("approve_refund", "Can approve or reject a refund awaiting approval")]

    def __str__(self) -> str:
        return self.id

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


class RefundAwaitingApproval(Refund):
    """The back office's approval queue: refunds `awaiting_approval`, oldest first."""

    class Meta:
        proxy = True
        default_permissions = ()  # the queue is read with refunds.view_refund
        ordering = ["created_at", "id"]
        verbose_name = "refund awaiting approval"
        verbose_name_plural = "refunds awaiting approval"
