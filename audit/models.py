"""The audit trail: one row per staff or command action that moves money or changes access.

Rows name what they are about by type and id (strings), not by foreign key: the audit app sits
below every domain app, and an entry outlives what it tells of (a revoked key, a deleted user).
"""

from django.db import models

from payments_service.clock import now


class Action(models.TextChoices):
    """What was done. `<subject>.<verb>`, as filters and CSV show it."""

    PAYMENT_REFUND = "payment.refund", "Refund"
    PAYMENT_CAPTURE = "payment.capture", "Capture"
    PAYMENT_SYNC = "payment.sync", "Sync from Razorpay"
    REFUND_SYNC = "refund.sync", "Refund synced with Razorpay"
    REFUND_APPROVE = "refund.approve", "Refund approved"
    REFUND_REJECT = "refund.reject", "Refund rejected"
    DISPUTE_ACCEPT = "dispute.accept", "Dispute accepted"
    DISPUTE_CONTEST = "dispute.contest", "Dispute contested"
    WEBHOOK_REPROCESS = "webhook.reprocess", "Webhook reprocessed"
    CLIENT_APP_CREATE = "client_app.create", "Client app created (first key)"
    CLIENT_APP_CHANGE = "client_app.change", "Client app changed"
    API_KEY_ROTATE = "api_key.rotate", "API key rotated"
    API_KEY_REVOKE = "api_key.revoke", "API keys revoked"
    TOTP_ENROL = "totp.enrol", "Two-factor enrolled"
    TOTP_RESET = "totp.reset", "Two-factor reset"
    RECOVERY_CODES = "totp.recovery_codes", "Recovery codes issued"
    LOCKOUT_LIFT = "lockout.lift", "Lockout lifted"
    SESSIONS_END = "sessions.end", "Logged out everywhere"


class Via(models.TextChoices):
    ADMIN = "admin", "back office"
    COMMAND = "command", "manage.py command"


class AuditEntry(models.Model):
    """Who (`actor`: a staff username, or the OS user / --requested-by of a command), when,
    what (`action` on `object_type` `object_id`, with its outcome in `detail`) and why."""

    created_at = models.DateTimeField(default=now, db_index=True)
    actor = models.CharField(max_length=150, db_index=True)
    via = models.CharField(max_length=16, choices=Via.choices)
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    reason = models.CharField(max_length=255, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type} {self.object_id}"
