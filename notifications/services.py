"""Recording events. The domain's transition functions call `event_record` inside the
transaction of the change, so an event exists exactly when its change committed."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from clients.models import ClientApp
from payments_service.clock import now

from .models import Event

# PostgreSQL: number the event from the counter row and insert it, in one statement. The
# counter's row lock lasts until the transaction ends, so the next number waits for this
# commit: numbers follow commit order (see models.py).
_INSERT_NUMBERED = """
WITH position AS (
    INSERT INTO notifications_feedposition (id, value) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET value = notifications_feedposition.value + 1
    RETURNING value
)
INSERT INTO notifications_event (seq, client_app_id, type, object_id, actor, data, created_at)
SELECT value, %s, %s, %s, %s, %s::jsonb, %s FROM position
RETURNING seq
"""

# Every type an event can have; the feed refuses to filter on any other.
EVENT_TYPES = (
    "payment.authorized",
    "payment.captured",
    "payment.failed",
    "payment.partially_refunded",
    "payment.refunded",
    "refund.created",
    "refund.processed",
    "refund.failed",
)


def event_record(
    *, client_app: ClientApp, type: str, object_id: str, data: dict, actor: str
) -> Event:
    """One INSERT, in the caller's transaction: `data` is the object as the API shows it."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = Event(
        client_app=client_app,
        type=type,
        object_id=object_id,
        data=data,
        actor=actor,
        created_at=now(),
    )
    if connection.vendor != "postgresql":
        event.save(force_insert=True)
        return event
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_NUMBERED,
            [
                client_app.pk,
                type,
                object_id,
                actor,
                json.dumps(data, cls=DjangoJSONEncoder),
                event.created_at,
            ],
        )
        (event.seq,) = cursor.fetchone()
    return event


def event_purge_expired(*, before) -> int:
    deleted, _ = Event.objects.filter(created_at__lt=before).delete()
    return deleted
