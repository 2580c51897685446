"""RFC 9457 problem details: the one shape of every error the service answers.

Errors are classes with a stable `code` and an HTTP status; `exception_handler` renders them
(and DRF's and Django's own exceptions) as `application/problem+json`.
"""

import logging
from http import HTTPStatus

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf

from payments_service.errors import ServiceError
from payments_service.integrations.errors import (
    GatewayError,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
)

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

# The code a bare status gets when nothing more specific is known (Django's own responses).
DEFAULT_CODES = {
    400: "bad_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    502: "gateway_unavailable",
    503: "service_unavailable",
    504: "gateway_timeout",
}


# The gateway's failures as the API answers them: (status, title, Retry-After seconds).
GATEWAY_PROBLEMS = {
    GatewayTimeout: (504, "Payment gateway timed out", 5),
    GatewayUnavailable: (502, "Payment gateway unavailable", 5),
    GatewayRejected: (400, "Rejected by the payment gateway", None),
    GatewayError: (502, "Payment gateway error", 5),
}


class ProblemError(ServiceError):
    """An error a client can act on, with its answer. Subclasses set `status`, `code` and
    `title`."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **extra):
        super().__init__(detail or self.title)
        self.retry_after = retry_after
        self.extra = extra


def problem_response(
    request,
    status: int,
    code: str | None = None,
    *,
    title: str | None = None,
    detail: str | None = None,
    retry_after: int | None = None,
    **extra,
) -> JsonResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {
        "type": f"urn:problem:{code or DEFAULT_CODES.get(status, 'error')}",
        "title": title or phrase,
        "status": status,
        "detail": detail or title or phrase,
        "code": code or DEFAULT_CODES.get(status, "error"),
        "requestId": getattr(request, "request_id", None),
        **extra,
    }
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    if retry_after is not None:
        response["Retry-After"] = str(int(retry_after))
    return response


def problem_from_exception(request, exc: Exception) -> JsonResponse | None:
    """The problem response for a known exception, or None for a bug (a 500)."""
    if isinstance(exc, ProblemError):
        return problem_response(
            request,
            exc.status,
            exc.code,
            title=exc.title,
            detail=exc.detail,
            retry_after=exc.retry_after,
            **exc.extra,
        )
    if isinstance(exc, GatewayError):
        status, title, retry_after = next(
            GATEWAY_PROBLEMS[kind] for kind in type(exc).__mro__ if kind in GATEWAY_PROBLEMS
        )
        return problem_response(
            request, status, exc.code, title=title, detail=exc.detail, retry_after=retry_after
        )
    if isinstance(exc, drf.ValidationError):
        errors = _flatten(exc.detail)
        return problem_response(
            request,
            400,
            "validation_error",
            title="Invalid input",
            detail="The request body has invalid fields.",
            errors=errors,
        )
    if isinstance(exc, drf.ParseError):
        return problem_response(
            request, 400, "malformed_json", title="Malformed JSON", detail=str(exc.detail)
        )
    if isinstance(exc, drf.UnsupportedMediaType):
        return problem_response(
            request, 415, detail="Send the body as JSON with Content-Type: application/json."
        )
    if isinstance(exc, drf.Throttled):
        return problem_response(request, 429, retry_after=exc.wait or 1)
    if isinstance(exc, drf.APIException):
        response = problem_response(request, exc.status_code, detail=str(exc.detail))
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        return response
    if isinstance(exc, Http404):
        return problem_response(request, 404, detail="No such resource.")
    if isinstance(exc, PermissionDenied):
        return problem_response(request, 403)
    if isinstance(exc, RequestDataTooBig):
        return problem_response(request, 413, detail="The request body is too large.")
    if isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError:
        logger.error("database unavailable: %s: %s", exc.__class__.__name__, exc)
        return problem_response(
            request,
            503,
            "database_unavailable",
            detail="The database is unavailable; retry later.",
            retry_after=1,
        )
    return None


def exception_handler(exc, context):
    """DRF's hook: everything a view raises becomes a problem; unknown exceptions stay bugs."""
    return problem_from_exception(context["request"], exc)


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as `{"field.sub": ["message", ...]}`."""
    if isinstance(detail, list):
        return {"nonField": [str(message) for message in detail]}
    errors: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and not isinstance(value[0], str):
            for index, sub in enumerate(value):
                walk(f"{prefix}.{index}", sub)
        else:
            messages = value if isinstance(value, list) else [value]
            errors[prefix or "nonField"] = [str(message) for message in messages]

    walk("", detail)
    return errors
