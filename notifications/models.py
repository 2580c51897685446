"""Events: every change a client app cares about, in the order its feed serves them.

The feed's order must be the order in which the events' transactions committed, so that a
reader resuming after the last id it saw can never miss an event that commits later with a
lower number. On PostgreSQL an event's number comes from a one-row counter, incremented in the
same statement that inserts the event (notifications/services.py): the row stays locked until
the transaction ends, so numbers are handed out in commit order. SQLite runs one writing
transaction at a time, so its own row ids already are.
"""

import re

from django.db import models

from clients.models import ClientApp
from payments_service.clock import now
from payments_service.ids import new_id


class FeedPosition(models.Model):
    """The last event number handed out (PostgreSQL): one row."""

    value = models.BigIntegerField()

    def __str__(self) -> str:
        return str(self.value)


class Actor(models.TextChoices):
    """Who made the change an event tells of: never a staff member's name."""

    APP = "app", "the client app (API)"
    RAZORPAY = "razorpay", "Razorpay (a webhook)"
    STAFF = "staff", "staff (the back office)"
    SYSTEM = "system", "the service (commands, chores, reconciliation)"


class Event(models.Model):
    # The feed position: numbered in commit order.
    seq = models.BigAutoField(primary_key=True)
    client_app = models.ForeignKey(ClientApp, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64)
    # The payment or refund it is about, for the back office's timeline.
    object_id = models.CharField(max_length=32, db_index=True)
    actor = models.CharField(max_length=16, choices=Actor.choices)
    # The object exactly as the API returned it at that moment (with its `version`).
    data = models.JSONField()
    created_at = models.DateTimeField(db_index=True, default=now)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["client_app", "seq"], name="event_feed_idx")]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"

    @property
    def id(self) -> str:
        """`evt_` and the feed position: ids sort in feed order."""
        return f"evt_{self.seq:016x}"


_EVENT_ID = re.compile(r"evt_([0-9a-f]{16})")


def event_position(event_id: str) -> int | None:
    """The feed position of an event id, or None when it is not one."""
    match = _EVENT_ID.fullmatch(event_id)
    return int(match[1], 16) if match else None


def _endpoint_id() -> str:
    return new_id("we")


class WebhookEndpoint(models.Model):
    """Where a client app wants its events POSTed (Standard Webhooks), and how far they have
    been fanned out to it: `after_seq` is the feed position up to which deliveries exist.
    Events are numbered in commit order, so this cursor never skips one (see the top)."""

    id = models.CharField(primary_key=True, max_length=32, default=_endpoint_id, editable=False)
    client_app = models.ForeignKey(
        ClientApp, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2048)
    # The event types it gets; empty: every type, also types added later.
    events = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    # `whsec_` + base64: the signing secret. During a rotation's overlap the previous one
    # signs too, until `previous_secret_until`.
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    after_seq = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The first failure since the last success: failing for NOTIFY_DISABLE_AFTER_DAYS disables.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.id} {self.url}"

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending: due at next_attempt_at"
    DELIVERED = "delivered", "delivered: a 2xx came back"
    FAILED = "failed", "failed: the retry schedule ran out (or the endpoint was disabled)"


class Delivery(models.Model):
    """One event for one endpoint. The worker sends it when due (its lease keeps it to one
    sender at a time) until a 2xx, or the retry schedule ends. A test delivery (the admin's
    "send a test event") has no event: its body is `test_body`."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", null=True, blank=True
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    test_body = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # While in the future, one worker is sending it; a killed worker's lease lapses.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # When its event was recorded (a test delivery: when it was asked for).
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_once_per_event")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.endpoint_id} ({self.status})"

    @property
    def message_id(self) -> str:
        """The `webhook-id`: the event's id, the same on every retry."""
        return self.event.id if self.event_id else f"msg_test_{self.pk:016x}"


class DeliveryAttempt(models.Model):
    """One POST: recorded when it starts, its answer filled in when it ends (an attempt with
    neither status nor error was cut short by a worker that died)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_made")
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, help_text="The answer's first KiB.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
