"""Receive, store, deduplicate and apply Razorpay's webhooks.

Store first (the raw body, before acting), then process in its own transaction holding the
event's row lock, so that concurrent copies of one event apply it once and a failure is saved
with its error. Processing uses the verified payload only: no gateway call, a few queries.
"""

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from traceback import format_exception
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from rest_framework.exceptions import ParseError

from payments_service.clock import now
from payments_service.db import Select, insert_unless_exists, save_fields
from payments_service.integrations.razorpay import get_gateway
from payments_service.metrics import WEBHOOK_ERRORS, WEBHOOK_EVENTS, WEBHOOK_LAG
from payments_service.parsers import json_errors
from payments_service.problems import ProblemError
from payments_service.ratelimit import rate_allows

from .errors import WebhookMalformed, WebhookSignatureInvalid, WebhookSignatureMissing
from .handlers import HANDLERS, Ignored, Malformed
from .models import RejectedDelivery, WebhookEvent

logger = logging.getLogger(__name__)

_KEPT_HEADERS = ("X-Razorpay-Signature", "X-Razorpay-Event-Id", "User-Agent", "Content-Type")


class Received(NamedTuple):
    event: WebhookEvent  # the stored event: this delivery's, or the earlier copy's
    same_body: bool  # the signed body of an event stored under another event id


def webhook_receive(*, body: bytes, headers, remote_addr: str = "") -> Received:
    """Verifies and stores a delivery. A copy of a stored event, by event id (Razorpay's
    redelivery) or by the body's digest (the same signed body under a new event id: a replay),
    is not stored again: the earlier event is returned."""
    signature = headers.get("X-Razorpay-Signature", "")
    claimed_id = headers.get("X-Razorpay-Event-Id", "")
    if not signature:
        _reject("signature_missing", body, claimed_id, signature, remote_addr)
        raise WebhookSignatureMissing("Razorpay signs every webhook; this one is not signed.")
    if not get_gateway().webhook_signature_valid(body, signature):
        _reject("signature_invalid", body, claimed_id, signature, remote_addr)
        raise WebhookSignatureInvalid("The signature does not match the body and our secret.")
    envelope = _parse(body)
    if envelope is None:
        _reject("malformed_payload", body, claimed_id, signature, remote_addr)
        raise WebhookMalformed("Expected a JSON object with `event` and `payload`.")
    digest = hashlib.sha256(body).hexdigest()
    # Razorpay always sends the id; without it, the body's hash still deduplicates copies.
    event_id = claimed_id[:128] or "sha256:" + digest
    # Both unique constraints (event id, digest) refuse a copy in this one INSERT, however many
    # copies race: the first one's row is committed when the others' are refused.
    created_at = _timestamp(envelope.get("created_at"))
    # How late Razorpay's event reached us (kept for the dashboard's p95; a copy is not stored,
    # and redeliveries are late on purpose, so only first deliveries count).
    lag_ms = max(int((now() - created_at).total_seconds() * 1000), 0) if created_at else None
    event = insert_unless_exists(
        WebhookEvent,
        event_id=event_id,
        event_type=envelope["event"][:64],
        account_id=str(envelope.get("account_id") or "")[:64],
        body=body.decode(),
        body_sha256=digest,
        headers={name: headers.get(name, "") for name in _KEPT_HEADERS},
        created_at=created_at,
        lag_ms=lag_ms,
    )
    if event is None:  # a copy of an event already stored
        return _stored_copy(event_id, digest)
    if lag_ms is not None:
        WEBHOOK_LAG.labels(event.event_type).observe(lag_ms / 1000)
    return Received(event, same_body=False)


def _stored_copy(event_id: str, digest: str) -> Received:
    copies = list(WebhookEvent.objects.filter(Q(event_id=event_id) | Q(body_sha256=digest)))
    for event in copies:  # the same event id first: a redelivery, answered as such
        if event.event_id == event_id:
            return Received(event, same_body=False)
    [event] = copies
    logger.info("webhook %s has the signed body of %s: not applied again", event_id, event.event_id)
    return Received(event, same_body=True)


def webhook_process(*, event_pk: int, force: bool = False) -> WebhookEvent:
    """Applies a stored event once. A copy already processed or ignored is left alone (unless
    `force`, for an operator's replay: applying is idempotent).

    A known outcome is permanent, kept and returned: `ignored` (not ours), `failed` for a
    mismatch (a 4xx problem) or a malformed entity; redelivering the same body cannot change
    it. Any other exception is an error of ours (a bug, the database): it is kept as `failed`
    with its traceback, logged, counted and re-raised, so that it is retried once fixed."""
    try:
        with transaction.atomic():
            event = _event_lock(event_pk)
            if event.status in WebhookEvent.FINAL and not force:
                return event
            try:
                event.payment, event.refund = _apply(event)
            except Exception as exc:
                # Out of the transaction, so the handler's writes roll back: cheaper than a
                # savepoint on every delivery, for failures that are rare.
                raise _HandlerFailed from exc
            return _record(event, WebhookEvent.Status.PROCESSED)
    except _HandlerFailed as failed:
        return _record_failure(event_pk, failed.__cause__, force=force)


def webhook_redelivery_wanted(event: WebhookEvent) -> bool:
    """After an error of ours: whether to answer 500 so that Razorpay delivers the event again.
    Razorpay retries for 24 h from the event's creation and then disables the endpoint, so
    only while the event is younger than WEBHOOK_REDELIVERY_WINDOW; older, it stays `failed`
    for `process_webhooks --failed` once the cause is fixed."""
    made = min(filter(None, (event.created_at, event.received_at)), default=now())
    return now() - made < timedelta(seconds=settings.WEBHOOK_REDELIVERY_WINDOW_SECONDS)


class _HandlerFailed(Exception):
    pass


def _permanent(exc: Exception) -> tuple[str, str] | None:
    """The status and reason of a known outcome, or None for an error of ours."""
    if isinstance(exc, Ignored):
        return WebhookEvent.Status.IGNORED, str(exc)
    if isinstance(exc, Malformed) or (isinstance(exc, ProblemError) and exc.status < 500):
        return WebhookEvent.Status.FAILED, str(exc)  # a mismatch, a malformed entity
    return None


def _record_failure(event_pk: int, exc: Exception, *, force: bool) -> WebhookEvent:
    known = _permanent(exc)
    if known:
        status, error, trace = *known, ""
    else:
        status, error = WebhookEvent.Status.FAILED, f"{exc.__class__.__name__}: {exc}"
        trace = "".join(format_exception(exc))
    with transaction.atomic():
        event = _event_lock(event_pk)
        late = event.status in WebhookEvent.FINAL and not force
        if not late:  # else a copy applied it while this one's writes rolled back
            _record(event, status, error, trace)
    if known:
        if status == WebhookEvent.Status.FAILED:
            logger.warning("webhook %s not applied: %s", event.event_id, error)
        return event
    WEBHOOK_ERRORS.labels(event.event_type, exc.__class__.__name__).inc()
    logger.error("webhook %s failed with an error of ours", event.event_id, exc_info=exc)
    if late:
        return event
    raise exc


def _record(event: WebhookEvent, status: str, error: str = "", trace: str = "") -> WebhookEvent:
    event.attempts += 1
    event.status, event.last_error, event.traceback = status, error, trace
    event.processed_at = now()
    fields = ["status", "last_error", "traceback", "attempts", "payment", "refund", "processed_at"]
    save_fields(event, fields)
    return event


# Compiled once: every delivery locks its event (see payments_service.db).
_EVENT_LOCK = Select(lambda pk: WebhookEvent.objects.select_for_update().filter(pk=pk)[:1])


def _event_lock(event_pk: int) -> WebhookEvent:
    event = _EVENT_LOCK.first(pk=event_pk)
    if event is None:
        raise WebhookEvent.DoesNotExist(f"No webhook event {event_pk}.")
    return event


def _apply(event: WebhookEvent):
    handler = HANDLERS.get(event.event_type)
    if handler is None:
        raise Ignored(f"{event.event_type} events are not used by this service")
    return handler(json.loads(event.body)["payload"], actor=event.event_id)


def _parse(body: bytes) -> dict | None:
    """The envelope, or None for a body no event can be: not JSON, too deep for the decoder, or
    holding text no database stores (lone surrogates), which only a holder of our secret can
    send, and which must still be a clear 400, not a 500."""
    try:
        envelope = json.loads(body.decode("utf-8"))
        if json_errors(envelope):
            return None
    except (ValueError, RecursionError, ParseError):  # ValueError includes UnicodeDecodeError
        return None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("event"), str):
        return None
    return envelope if isinstance(envelope.get("payload"), dict) else None


def _timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int) else None


def _reject(reason: str, body: bytes, event_id: str, signature: str, remote_addr: str) -> None:
    logger.warning("webhook rejected: %s (event id %r)", reason, event_id[:128])
    WEBHOOK_EVENTS.labels("unverified", reason).inc()
    kept, _ = rate_allows(
        None, group="webhooks-rejected", key="kept", rate=settings.WEBHOOK_REJECTED_KEPT_RATE
    )
    if not kept:  # counted and logged above; the table stays bounded
        return
    RejectedDelivery.objects.create(
        reason=reason,
        event_id=event_id[:128],
        signature=signature[:256],
        # Untrusted bytes: PostgreSQL's text refuses NUL, so it is stored as U+FFFD like any
        # byte that is not UTF-8.
        body=body[:65536].decode(errors="replace").replace("\x00", "\ufffd"),
        remote_addr=remote_addr[:64],
    )


def webhook_purge_rejected() -> int:
    """Deletes rejected deliveries older than WEBHOOK_REJECTED_RETENTION."""
    cutoff = now() - timedelta(seconds=settings.WEBHOOK_REJECTED_RETENTION_SECONDS)
    deleted, _ = RejectedDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted


def webhook_events_to_retry(
    *,
    failed: bool,
    ours_only: bool = False,
    since: datetime | None = None,
    before: datetime | None = None,
) -> list[int]:
    """Ids of stored events to apply again, oldest first: pending ones (their processing was
    interrupted), and with `failed` the failed ones; `ours_only` keeps only failures from an
    error of ours (a bug, the database: kept with a traceback), which a retry may cure, unlike
    a mismatch. Received in [since, before)."""
    chosen = Q(status=WebhookEvent.Status.PENDING)
    if failed:
        failures = Q(status=WebhookEvent.Status.FAILED)
        chosen |= failures & ~Q(traceback="") if ours_only else failures
    events = WebhookEvent.objects.filter(chosen)
    if since is not None:
        events = events.filter(received_at__gte=since)
    if before is not None:
        events = events.filter(received_at__lt=before)
    return list(events.order_by("received_at", "pk").values_list("pk", flat=True))
