"""The `Idempotency-Key` header (IETF draft, Stripe's semantics), for any write endpoint.

Scope is (client app, operation, key). The first request inserts the key as `in_progress` with a
lease; the unique constraint turns every concurrent copy into a read of that row, which answers
409 (still running), 422 (another body) or the stored answer. Only successful answers are
stored: a request that fails before any side effect releases its key, so the client may retry
with it. A crashed request's lease lapses, and the next copy takes the key over.

Recovery point (Stripe's "atomic phases"): a request whose work outlives one transaction (a
refund: reserve, commit, call Razorpay, settle) records the id of its first durable write on the
key, in that write's own transaction (`idempotency_record`). From then on the key is never
released: a takeover after a crash, or a retry after a failure, gets the claim back with
`resource_id` set and resumes that work instead of doing it a second time.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from rest_framework.response import Response

from payments_service.clock import now
from payments_service.db import insert_unless_exists, update_row
from payments_service.metrics import IDEMPOTENCY_CONFLICTS, IDEMPOTENT_REPLAYS
from payments_service.problems import ProblemError

from .models import ClientApp, IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyMissing(ProblemError):
    status = 400
    code = "idempotency_key_missing"
    title = "Idempotency-Key header required"


class IdempotencyKeyInUse(ProblemError):
    status = 409
    code = "idempotency_key_in_use"
    title = "A request with this Idempotency-Key is still running"


class IdempotencyKeyReused(ProblemError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with a different body"


def fingerprint(body) -> str:
    """Hash of the canonical JSON body: key order and whitespace do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_claim(*, client_app: ClientApp, operation: str, key: str, body) -> IdempotencyKey:
    """The key row: claimed by this request to run under (`in_progress`, its `resource_id` set
    when a crashed request recorded work to resume), or `completed` with the answer to replay."""
    if not key:
        raise IdempotencyKeyMissing(f"Send a unique {HEADER} header with this request.")
    if len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyMissing(f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.")
    if not (key.isascii() and key.isprintable()):  # the draft's sf-string; no NUL for the db
        raise IdempotencyKeyMissing(f"{HEADER} must be printable ASCII characters.")
    digest = fingerprint(body)
    current = now()
    claimed = insert_unless_exists(
        IdempotencyKey,
        client_app=client_app,
        operation=operation,
        key=key,
        fingerprint=digest,
        locked_until=current + timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS),
        expires_at=current + timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS),
    )
    if claimed is not None:
        return claimed
    existing = IdempotencyKey.objects.filter(
        client_app=client_app, operation=operation, key=key
    ).first()
    if existing is None:  # released between our insert and this read: start over
        return idempotency_claim(client_app=client_app, operation=operation, key=key, body=body)
    if existing.fingerprint != digest:
        raise IdempotencyKeyReused(
            f"This {HEADER} was used with a different request body; use a new key."
        )
    if existing.status == IdempotencyKey.Status.COMPLETED:
        return existing
    if existing.locked_until > current or not _take_over(existing, current):
        retry_after = max(1, int((existing.locked_until - current).total_seconds()))
        raise IdempotencyKeyInUse(
            "The first request with this key has not finished; retry shortly.",
            retry_after=min(retry_after, 5),
        )
    return existing


def _take_over(existing: IdempotencyKey, current) -> bool:
    """Claims a key whose request crashed; exactly one of several racing copies wins."""
    lease = current + timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)
    won = IdempotencyKey.objects.filter(
        pk=existing.pk, status=IdempotencyKey.Status.IN_PROGRESS, locked_until=existing.locked_until
    ).update(locked_until=lease)
    existing.locked_until = lease
    return won == 1


def idempotency_complete(*, claim: IdempotencyKey, status: int, body) -> None:
    update_row(
        IdempotencyKey,
        claim.pk,
        status=IdempotencyKey.Status.COMPLETED,
        response_status=status,
        response_body=body,
    )


def idempotency_record(*, claim: IdempotencyKey, resource_id: str) -> None:
    """Inside the transaction of the request's first durable write: ties that write to the key.
    Only one write can be tied to a key; a second (a takeover racing a request it thought dead)
    raises `IdempotencyKeyInUse`, rolling its own transaction back."""
    tied = update_row(IdempotencyKey, claim.pk, where={"resource_id": ""}, resource_id=resource_id)
    if not tied:
        raise IdempotencyKeyInUse(
            "Another request with this key has already started; retry shortly.", retry_after=1
        )
    claim.resource_id = resource_id


def idempotency_release(*, claim: IdempotencyKey) -> None:
    """After a failed request: the key is freed for a retry, unless the request recorded work
    (`resource_id`), which a retry must resume rather than redo; its lease then ends now, so the
    next copy takes it over at once."""
    running = IdempotencyKey.objects.filter(pk=claim.pk, status=IdempotencyKey.Status.IN_PROGRESS)
    deleted, _ = running.filter(resource_id="").delete()
    if not deleted:
        running.update(locked_until=now())


def idempotency_purge_expired() -> int:
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now()).delete()
    return deleted


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool


def idempotency_run(
    *,
    client_app: ClientApp,
    operation: str,
    key: str,
    body,
    work: Callable[[IdempotencyKey], tuple[int, Any]],
) -> Answer:
    """Runs `work(claim)` once per (app, operation, key) and stores its (status, body) answer,
    or replays the stored one. The one way a keyed write runs: the API's views (`idempotent`),
    the admin's refund form and `refund_payment` all come through here."""
    label = operation.split(":")[0]  # metrics get the operation, not one series per resource
    try:
        claimed = idempotency_claim(client_app=client_app, operation=operation, key=key, body=body)
    except (IdempotencyKeyInUse, IdempotencyKeyReused) as exc:
        IDEMPOTENCY_CONFLICTS.labels(label, exc.code).inc()
        raise
    if claimed.status == IdempotencyKey.Status.COMPLETED:
        IDEMPOTENT_REPLAYS.labels(label).inc()
        return Answer(claimed.response_status, claimed.response_body, replayed=True)
    try:
        status, answer = work(claimed)
    except BaseException:
        idempotency_release(claim=claimed)
        raise
    if 200 <= status < 300:
        idempotency_complete(claim=claimed, status=status, body=answer)
    else:
        idempotency_release(claim=claimed)
    return Answer(status, answer, replayed=False)


def idempotent(operation: str, *, required: bool = True):
    """Decorates a DRF view method: runs it once per (app, operation, key) and replays it.
    `operation` may name the view's URL arguments, e.g. "refunds.create:{payment_id}". The
    view finds its claim as `request.idempotency_claim`, to record its work on it.
    `required=False`: a request without the header simply runs (a harmless repeat)."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(view, request, *args, **kwargs):
            if not required and not request.headers.get(HEADER, "").strip():
                request.idempotency_claim = None
                return method(view, request, *args, **kwargs)

            def work(claim: IdempotencyKey) -> tuple[int, Any]:
                request.idempotency_claim = claim
                response = method(view, request, *args, **kwargs)
                return response.status_code, response.data

            answer = idempotency_run(
                client_app=request.user,
                operation=operation.format(**kwargs),
                key=request.headers.get(HEADER, "").strip(),
                body=request.data,
                work=work,
            )
            response = Response(answer.body, status=answer.status)
            if answer.replayed:
                response["Idempotent-Replayed"] = "true"
            return response

        wrapper.idempotency_operation = operation  # the OpenAPI schema documents the header
        wrapper.idempotency_required = required
        return wrapper

    return decorate
