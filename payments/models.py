"""Payments: one per (client app, externalRef), its Razorpay attempts and its status history."""

from django.db import models

from clients.models import ClientApp
from notifications.models import Actor
from payments_service.ids import new_id


def _payment_id() -> str:
    return new_id("pmt")


class PaymentStatus(models.TextChoices):
    """Forward-only; `RANK` orders them. A payment never moves to a lower rank."""

    CREATED = "created", "created"  # the Razorpay order exists (or is being made); unpaid
    FAILED = "failed", "failed"  # every attempt so far failed; the customer may still retry
    AUTHORIZED = "authorized", "authorized"  # the bank approved; money not yet captured
    CAPTURED = "captured", "captured"  # money taken
    PARTIALLY_REFUNDED = "partially_refunded", "partially refunded"
    REFUNDED = "refunded", "refunded"  # refunds add up to the captured amount


# Spelled out, not the declaration order: moving a member must not change what "forward" is.
RANK = {
    PaymentStatus.CREATED: 0,
    PaymentStatus.FAILED: 1,
    PaymentStatus.AUTHORIZED: 2,
    PaymentStatus.CAPTURED: 3,
    PaymentStatus.PARTIALLY_REFUNDED: 4,
    PaymentStatus.REFUNDED: 5,
}
# What a Razorpay payment's status means for ours; its "refunded" was captured first.
GATEWAY_STATUS = {
    "failed": PaymentStatus.FAILED,
    "authorized": PaymentStatus.AUTHORIZED,
    "captured": PaymentStatus.CAPTURED,
    "refunded": PaymentStatus.CAPTURED,
}
PAID = {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
# Waiting for the customer or for the capture: the payments_by_status gauge counts these rows
# (a partial index keeps that cheap). The others, failed and paid, only pile up: /metrics
# counts transitions into them (payment_transitions_total) instead of scanning the table.
AWAITING = {PaymentStatus.CREATED, PaymentStatus.AUTHORIZED}


class Source(models.TextChoices):
    """What caused a change."""

    API = "api", "API"
    WEBHOOK = "webhook"
    RECONCILE = "reconcile"
    ADMIN = "admin"
    COMMAND = "command"
    CHORE = "chore"  # the worker's scheduled chores


# Who an event says made a change: client apps learn whether staff did, never who.
EVENT_ACTOR = {
    Source.API: Actor.APP,
    Source.WEBHOOK: Actor.RAZORPAY,
    Source.ADMIN: Actor.STAFF,
    Source.COMMAND: Actor.SYSTEM,
    Source.CHORE: Actor.SYSTEM,
    Source.RECONCILE: Actor.SYSTEM,
}


class Payment(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=_payment_id, editable=False)
    client_app = models.ForeignKey(ClientApp, on_delete=models.PROTECT, related_name="payments")
    external_ref = models.CharField(max_length=64)
    amount = models.PositiveBigIntegerField(help_text="In the currency's smallest unit.")
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    amount_refunded = models.PositiveBigIntegerField(default=0)
    # Kept by the disputes app through `payment_record_disputes`, so that refunds can read them
    # without importing it: what open disputes hold, and what lost ones took back.
    amount_disputed = models.PositiveBigIntegerField(
        default=0, help_text="Held by open disputes (chargebacks)."
    )
    amount_lost_to_disputes = models.PositiveBigIntegerField(
        default=0, help_text="Deducted by Razorpay for disputes lost: it is not refundable."
    )
    # Grows with every change a client app is told of (the API's and the events' `version`).
    version = models.PositiveIntegerField(default=1)
    email = models.EmailField(blank=True)
    contact = models.CharField(max_length=20, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    razorpay_order_id = models.CharField(max_length=40, unique=True, null=True, blank=True)
    razorpay_payment_id = models.CharField(
        max_length=40, blank=True, db_index=True, help_text="The successful attempt."
    )
    # While set and in the future, one request is creating the Razorpay order: others wait.
    order_claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client_app", "external_ref"], name="one_payment_per_external_ref"
            )
        ]
        indexes = [
            models.Index(fields=["client_app", "-created_at"]),
            models.Index(
                fields=["status"],
                condition=models.Q(status__in=sorted(AWAITING)),
                name="payment_awaiting_status_idx",
            ),
            # What changed since: the dashboard's day summaries are trusted until then.
            models.Index(fields=["updated_at"], name="payment_updated_idx"),
        ]
        permissions = [
            ("sync_payment", "Can sync payments from Razorpay"),
            ("capture_payment", "Can capture authorized payments"),
            ("refund_payment", "Can refund payments"),
            ("reconcile_payments", "Can see and fix the reconciliation with Razorpay"),
        ]

    def __str__(self) -> str:
        return self.id

    @property
    def receipt(self) -> str:
        """What the Razorpay order carries to find this payment again after a crash."""
        return self.id

    @property
    def is_paid(self) -> bool:
        return self.status in PAID

    @property
    def is_disputed(self) -> bool:
        """A dispute on it is still open: its money is in question."""
        return self.amount_disputed > 0


class PaymentAttempt(models.Model):
    """One Razorpay payment under the order: the customer may fail and retry several times."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="attempts")
    razorpay_payment_id = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=20)
    method = models.CharField(max_length=32, blank=True)
    amount = models.PositiveBigIntegerField()
    error_code = models.CharField(max_length=64, blank=True)
    error_description = models.TextField(blank=True)
    error_source = models.CharField(max_length=64, blank=True)
    error_step = models.CharField(max_length=64, blank=True)
    error_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)  # the dashboard
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        # What changed since: the dashboard's day summaries are trusted until then.
        indexes = [models.Index(fields=["updated_at"], name="attempt_updated_idx")]

    def __str__(self) -> str:
        return f"{self.razorpay_payment_id} {self.status}"


class PaymentStatusChange(models.Model):
    """The audit trail: every transition, what caused it and who."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    source = models.CharField(max_length=16, choices=Source.choices)
    actor = models.CharField(max_length=150, blank=True, help_text="App, user or event id.")
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
