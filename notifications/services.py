"""Recording events, and the client apps' webhook endpoints. The domain's transition
functions call `event_record` inside the transaction of the change, so an event exists
exactly when its change committed. Endpoints are managed here (the API, the admin and
`manage.py webhook_endpoint` call these); the worker delivers (deliveries.py)."""

import base64
import json
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Max, Q

from clients.models import ClientApp
from payments_service.clock import now
from payments_service.problems import ProblemError

from .delivery_http import UrlRefused, url_check
from .models import Delivery, DeliveryStatus, Event, WebhookEndpoint

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
    "payment.dispute.created",
    "payment.dispute.won",
    "payment.dispute.lost",
    "payment.dispute.closed",
)


def event_record(
    *, client_app: ClientApp, type: str, object_id: str, data: dict, actor: str
) -> Event:
    """One INSERT, in the caller's transaction: `data` is the object as the API shows it."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = Event(client_app=client_app, type=type, object_id=object_id, data=data, actor=actor)
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
    """Events older than `before`, their deliveries with them (and old test deliveries)."""
    _, deleted = Event.objects.filter(created_at__lt=before).delete()
    Delivery.objects.filter(event__isnull=True, created_at__lt=before).delete()
    return deleted.get(Event._meta.label, 0)


# --- Webhook endpoints -----------------------------------------------------------------------
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
# The type of the admin's test deliveries: sent to one endpoint, never in the feed.
TEST_EVENT_TYPE = "endpoint.test"


class EndpointInvalid(ProblemError):
    """A refused URL or an unknown event type: the same 400 as any invalid field."""

    status = 400
    code = "validation_error"
    title = "Invalid input"

    def __init__(self, field: str, message: str):
        super().__init__("The request body has invalid fields.", errors={field: [message]})
        self.field, self.message = field, message


def _new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_endpoint_validate(*, url: str, events: list[str]) -> None:
    """EndpointInvalid naming `url` or `events`; the URL's host must resolve to an address
    deliveries may go to (see delivery_http)."""
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise EndpointInvalid(
            "events",
            f"Unknown event type(s): {', '.join(unknown)}. Known: {', '.join(EVENT_TYPES)}.",
        )
    try:
        url_check(url)
    except UrlRefused as exc:
        raise EndpointInvalid("url", str(exc)) from exc


def webhook_endpoint_create(
    *, client_app: ClientApp, url: str, events: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown once). It gets the events recorded after
    this: its cursor starts at the app's last event."""
    events = list(dict.fromkeys(events or []))
    webhook_endpoint_validate(url=url, events=events)
    last = Event.objects.filter(client_app=client_app).aggregate(last=Max("seq"))["last"]
    endpoint = WebhookEndpoint.objects.create(
        client_app=client_app,
        url=url,
        events=events,
        secret=_new_secret(),
        after_seq=last or 0,
        created_at=now(),
    )
    return endpoint, endpoint.secret


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    """A new secret; the old one still signs too for NOTIFY_SECRET_OVERLAP."""
    secret = _new_secret()
    until = now() + timedelta(seconds=settings.NOTIFY_SECRET_OVERLAP_SECONDS)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        secret=secret, previous_secret=endpoint.secret, previous_secret_until=until
    )
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, until
    endpoint.secret = secret
    return secret


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """No more deliveries: its pending ones are failed (redeliver sends one again)."""
    current = now()
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            enabled=False, disabled_at=current, disabled_reason=reason[:200]
        )
        endpoint.deliveries.filter(status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, last_error=f"endpoint disabled: {reason}"[:300]
        )
    endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, current, reason


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> None:
    """Enabled again, for the events recorded from now on (what it missed can be redelivered
    from the admin)."""
    last = Event.objects.filter(client_app_id=endpoint.client_app_id).aggregate(m=Max("seq"))["m"]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=True, disabled_at=None, disabled_reason="", failing_since=None, after_seq=last or 0
    )
    endpoint.enabled = True


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()  # its deliveries and their attempts go with it


def webhook_endpoint_send_test(*, endpoint: WebhookEndpoint) -> Delivery:
    """A test delivery to this endpoint only (type `endpoint.test`), sent once by the worker;
    it is in no feed and does not count towards the endpoint's health."""
    current = now()
    body = {
        "type": TEST_EVENT_TYPE,
        "createdAt": current.isoformat().replace("+00:00", "Z"),
        "actor": "staff",
        "data": {"endpoint": endpoint.pk, "url": endpoint.url},
    }
    return Delivery.objects.create(
        endpoint=endpoint, test_body=body, next_attempt_at=current, created_at=current
    )


def delivery_redeliver(*, delivery: Delivery) -> bool:
    """Sends it again now, whatever its status (the same webhook-id); a failure goes on with
    what is left of the retry schedule. False while a worker is sending it."""
    current = now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=current)
    return bool(
        Delivery.objects.filter(free, pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=current, lease_until=None
        )
    )
