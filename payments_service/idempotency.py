"""The `Idempotency-Key` header (IETF draft, Stripe's semantics), for any write endpoint.

Scope is (client app, operation, key). The first request inserts the key as `in_progress` with a
lease; the unique constraint turns every concurrent copy into a read of that row, which answers
409 (still running), 422 (another body) or the stored answer. Only successful answers are
stored: a request that fails releases its key, so the client may retry with it. A crashed
request's lease lapses, and the next copy takes the key over.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from rest_framework.response import Response

from .clock import now
from .db import insert_unless_exists
from .metrics import IDEMPOTENCY_CONFLICTS, IDEMPOTENT_REPLAYS
from .models import ClientApp, IdempotencyKey
from .problems import ProblemError

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


def idempotency_claim(
    *, client_app: ClientApp, operation: str, key: str, body
) -> IdempotencyKey | Response:
    """The claimed key row to run the request under, or the stored answer to replay."""
    if not key:
        raise IdempotencyKeyMissing(f"Send a unique {HEADER} header with this request.")
    if len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyMissing(f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.")
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
        response = Response(existing.response_body, status=existing.response_status)
        response["Idempotent-Replayed"] = "true"
        return response
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
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        status=IdempotencyKey.Status.COMPLETED, response_status=status, response_body=body
    )


def idempotency_release(*, claim: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=claim.pk, status=IdempotencyKey.Status.IN_PROGRESS).delete()


def idempotency_purge_expired() -> int:
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now()).delete()
    return deleted


def idempotent(operation: str):
    """Decorates a DRF view method: runs it once per (app, operation, key) and replays it.
    `operation` may name the view's URL arguments, e.g. "refunds.create:{payment_id}"."""
    label = operation.split(":")[0]  # metrics get the operation, not one series per resource

    def decorate(method):
        @functools.wraps(method)
        def wrapper(view, request, *args, **kwargs):
            scope = operation.format(**kwargs)
            try:
                claimed = idempotency_claim(
                    client_app=request.user,
                    operation=scope,
                    key=request.headers.get(HEADER, "").strip(),
                    body=request.data,
                )
            except (IdempotencyKeyInUse, IdempotencyKeyReused) as exc:
                IDEMPOTENCY_CONFLICTS.labels(label, exc.code).inc()
                raise
            if isinstance(claimed, Response):
                IDEMPOTENT_REPLAYS.labels(label).inc()
                return claimed
            try:
                response = method(view, request, *args, **kwargs)
            except BaseException:
                idempotency_release(claim=claimed)
                raise
            if 200 <= response.status_code < 300:
                idempotency_complete(claim=claimed, status=response.status_code, body=response.data)
            else:
                idempotency_release(claim=claimed)
            return response

        wrapper.idempotency_operation = operation  # the OpenAPI schema documents the header
        return wrapper

    return decorate
