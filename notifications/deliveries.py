"""Delivering events to client apps' endpoints: the worker's side, never the request's.

Fan-out: each enabled endpoint has a cursor (`after_seq`) in its app's feed. Events are
numbered in commit order, so every event past the cursor that is visible now is all there will
ever be below the newest one seen: the worker locks the endpoint, creates a `Delivery` for each
event past it that the endpoint wants and moves the cursor, in one transaction.

Sending: a delivery is claimed by one conditional UPDATE of its lease (several workers may run;
one sends it at a time), its attempt recorded, and then POSTed with no database lock held.
A 2xx is delivered; anything else waits the next step of NOTIFY_RETRY_SCHEDULE (±10 %), and
past its end the delivery is failed. A worker killed mid-POST leaves the lease, which lapses:
the delivery goes out again, with the same `webhook-id`. At least once, in no promised order.

Signing (Standard Webhooks): `webhook-signature: v1,<base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}">`, keyed with the base64-decoded part of the
`whsec_` secret; during a rotation's overlap the previous secret's signature follows,
space-separated, so receivers verify it with the `standardwebhooks` library (or Svix's).
"""

import base64
import hashlib
import hmac
import json
import logging
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, transaction
from django.db.models import Exists, F, OuterRef, Q

from payments_service.clock import now

from . import delivery_http
from .models import Delivery, DeliveryAttempt, DeliveryStatus, Event, WebhookEndpoint
from .serializers import EventOutput
from .services import SECRET_PREFIX, webhook_endpoint_disable

logger = logging.getLogger(__name__)

FAN_OUT_BATCH = 500
USER_AGENT = "payments-service-webhooks/1"


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(
    *, endpoint: WebhookEndpoint, msg_id: str, timestamp: int, body: bytes, at: datetime
) -> str:
    secrets = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and at < (endpoint.previous_secret_until)
    ):
        secrets.append(endpoint.previous_secret)
    return " ".join(
        sign(secret=each, msg_id=msg_id, timestamp=timestamp, body=body) for each in secrets
    )


def delivery_body(delivery: Delivery) -> bytes:
    """The event's JSON, exactly as the feed serves it (a test delivery: its own)."""
    if delivery.event_id:
        data = EventOutput(delivery.event).data
    else:
        data = {"id": delivery.message_id, **delivery.test_body}
    return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


# --- Fan-out -----------------------------------------------------------------------------------
def deliveries_fan_out() -> int:
    """Deliveries for every event past each enabled endpoint's cursor; how many were made."""
    newer = Event.objects.filter(client_app=OuterRef("client_app"), seq__gt=OuterRef("after_seq"))
    behind = WebhookEndpoint.objects.filter(Exists(newer), enabled=True)
    return sum(_fan_out(pk) for pk in behind.values_list("pk", flat=True))


def _fan_out(pk: str) -> int:
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, enabled=True)
            .first()
        )
        if endpoint is None:  # another worker is on it, or it was just disabled
            return 0
        events = list(
            Event.objects.filter(client_app_id=endpoint.client_app_id, seq__gt=endpoint.after_seq)
            .order_by("seq")
            .values_list("seq", "type", "created_at")[:FAN_OUT_BATCH]
        )
        if not events:
            return 0
        current = now()
        wanted = [
            # created_at: the event's, so the oldest pending one tells how long it has waited
            Delivery(event_id=seq, endpoint=endpoint, next_attempt_at=current, created_at=at)
            for seq, kind, at in events
            if endpoint.wants(kind)
        ]
        Delivery.objects.bulk_create(wanted, ignore_conflicts=True)
        WebhookEndpoint.objects.filter(pk=pk).update(after_seq=events[-1][0])
    return len(wanted)


# --- Claiming and sending ---------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    delivery_pk: int
    lease_until: datetime
    attempt_pk: int


def deliveries_claim_due(*, limit: int) -> list[Claim]:
    """Up to `limit` due deliveries, each claimed for this worker alone (its lease), with an
    attempt begun."""
    current = now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=current)
    due = (
        Delivery.objects.filter(free, status=DeliveryStatus.PENDING, next_attempt_at__lte=current)
        .order_by("next_attempt_at")
        .values_list("pk", "lease_until")[:limit]
    )
    lease = current + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    claims = []
    for pk, held_until in due:
        won = Delivery.objects.filter(
            pk=pk, status=DeliveryStatus.PENDING, lease_until=held_until
        ).update(lease_until=lease, attempts=F("attempts") + 1)
        if won:  # else another worker claimed it first
            attempt = DeliveryAttempt.objects.create(delivery_id=pk, started_at=current)
            claims.append(Claim(pk, lease, attempt.pk))
    return claims


def delivery_send(claim: Claim) -> str:
    """POSTs a claimed delivery once and records what came of it: its new status."""
    delivery = Delivery.objects.select_related("event", "endpoint").get(pk=claim.delivery_pk)
    endpoint = delivery.endpoint
    body = delivery_body(delivery)
    sent_at = now()
    timestamp = int(sent_at.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            endpoint=endpoint,
            msg_id=delivery.message_id,
            timestamp=timestamp,
            body=body,
            at=sent_at,
        ),
    }
    answer = delivery_http.post(endpoint.url, body=body, headers=headers)
    return _settle(delivery, claim, answer)


def _settle(delivery: Delivery, claim: Claim, answer: delivery_http.Answer) -> str:
    current = now()
    error = answer.error or ("" if answer.delivered else f"answered {answer.status_code}")
    is_test = delivery.event_id is None
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=claim.attempt_pk).update(
            status_code=answer.status_code,
            latency_ms=answer.latency_ms,
            response_excerpt=answer.excerpt,
            error=answer.error,
        )
        # The endpoint's health first: a failure that disables it fails this delivery too.
        enabled = is_test or _endpoint_health(delivery.endpoint, answer.delivered, current)
        if answer.delivered:
            status, changes = DeliveryStatus.DELIVERED, {"delivered_at": current}
        elif enabled and not is_test and delivery.attempts <= len(settings.NOTIFY_RETRY_SCHEDULE):
            wait_seconds = settings.NOTIFY_RETRY_SCHEDULE[delivery.attempts - 1]
            wait_seconds *= random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not a secret
            status = DeliveryStatus.PENDING
            changes = {"next_attempt_at": current + timedelta(seconds=wait_seconds)}
        else:
            status, changes = DeliveryStatus.FAILED, {}
        # Only while the lease is ours: one that lapsed belongs to whoever claimed it since.
        Delivery.objects.filter(pk=delivery.pk, lease_until=claim.lease_until).update(
            status=status,
            lease_until=None,
            last_status_code=answer.status_code,
            last_error=error[:300],
            **changes,
        )
    logger.info(
        "delivery %s of %s to %s: %s (%s, attempt %s)",
        delivery.pk,
        delivery.message_id,
        delivery.endpoint_id,
        status,
        answer.status_code or answer.error,
        delivery.attempts,
    )
    return status


def _endpoint_health(endpoint: WebhookEndpoint, delivered: bool, current: datetime) -> bool:
    """A success clears the failing streak; failing for NOTIFY_DISABLE_AFTER_DAYS with not one
    success disables the endpoint. Whether it is enabled now."""
    rows = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if delivered:
        rows.update(last_success_at=current, failing_since=None)
        return True
    rows.filter(failing_since__isnull=True).update(failing_since=current)
    since, enabled = rows.values_list("failing_since", "enabled").first() or (None, False)
    limit = timedelta(days=settings.NOTIFY_DISABLE_AFTER_DAYS)
    if enabled and since is not None and current - since >= limit:
        webhook_endpoint_disable(
            endpoint=endpoint,
            reason=f"failing since {since:%Y-%m-%d %H:%M} UTC without one success",
        )
        logger.warning("endpoint %s disabled: failing since %s", endpoint.pk, since)
        return False
    return enabled


def deliveries_run_due(*, limit: int = 100) -> list[str]:
    """One round in the calling thread: fan out, then send what is due (tests, commands)."""
    deliveries_fan_out()
    return [delivery_send(claim) for claim in deliveries_claim_due(limit=limit)]


def deliveries_dispatch(*, poll: float, stop: threading.Event | None = None) -> None:
    """The worker's dispatcher loop: fans out and keeps up to NOTIFY_CONCURRENCY deliveries in
    flight, each POSTed in a thread of a small pool."""
    size = settings.NOTIFY_CONCURRENCY
    pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="delivery")
    running: set = set()
    while stop is None or not stop.is_set():
        running = {future for future in running if not future.done()}
        close_old_connections()
        claims = []
        try:
            deliveries_fan_out()
            if len(running) < size:
                claims = deliveries_claim_due(limit=size - len(running))
        except Exception:  # e.g. the database away for a moment: the next round tries again
            logger.exception("delivery dispatcher: round failed")
        running |= {pool.submit(_send_in_thread, claim) for claim in claims}
        if len(running) >= size:
            wait(running, timeout=poll, return_when=FIRST_COMPLETED)
        elif not claims:
            time.sleep(poll)
    pool.shutdown(wait=True)


def _send_in_thread(claim: Claim) -> None:
    close_old_connections()
    try:
        delivery_send(claim)
    except Exception:  # its lease lapses and it goes out again; the others go on
        logger.exception("delivery %s failed to send", claim.delivery_pk)
    finally:
        close_old_connections()
