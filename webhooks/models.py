"""Razorpay's webhook deliveries: stored before they are trusted or applied."""

from django.db import models

from payments.models import Payment
from refunds.models import Refund


class WebhookEvent(models.Model):
    """One Razorpay event (deduplicated on its event id), with what processing made of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"  # stored, not yet applied (or interrupted)
        PROCESSED = "processed", "processed"  # applied
        FAILED = "failed", "failed"  # could not be applied: see last_error; retried
        IGNORED = "ignored", "ignored"  # not for us (unknown order, unhandled type)

    FINAL = (Status.PROCESSED, Status.IGNORED)

    event_id = models.CharField(max_length=128, unique=True, help_text="X-Razorpay-Event-Id")
    event_type = models.CharField(max_length=64, db_index=True)
    account_id = models.CharField(max_length=64, blank=True)
    body = models.TextField(help_text="The raw body exactly as received and signed.")
    # A signed body re-posted under another event id is the same event: found by this digest
    # and not stored or applied again. Unique where set; events stored before it existed that
    # shared a body keep it on the first of them only (NULL never collides).
    body_sha256 = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="SHA-256 of the raw body.",
    )
    headers = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    traceback = models.TextField(
        blank=True, help_text="Of the last failure that was an error of ours (a bug, the database)."
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    created_at = models.DateTimeField(null=True, blank=True, help_text="When Razorpay made it.")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # received_at - created_at of its first delivery, for the dashboard's lag percentile.
    lag_ms = models.PositiveBigIntegerField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        permissions = [("reprocess_webhookevent", "Can reprocess webhook events")]
        indexes = [
            # The dashboard's failed events in a window: the few failed ones, not every event.
            models.Index(
                fields=["received_at"],
                condition=models.Q(status="failed"),
                name="webhook_event_failed_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class RejectedDelivery(models.Model):
    """A delivery that failed verification (wrong secret? forgery?), kept apart from the events
    so that a forged copy can never take the genuine event id."""

    reason = models.CharField(max_length=64)
    event_id = models.CharField(max_length=128, blank=True, help_text="As claimed; untrusted.")
    signature = models.CharField(max_length=256, blank=True)
    body = models.TextField(blank=True, help_text="The first 64 KiB, untrusted.")
    remote_addr = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "rejected deliveries"

    def __str__(self) -> str:
        return f"{self.reason} {self.event_id or '-'}"
