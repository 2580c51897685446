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
    created_at = models.DateTimeField(db_index=True)

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
