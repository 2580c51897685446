"""The OpenAPI schema's shared parts (drf-spectacular): the API-key security scheme, the
problem-details error body, and the headers and errors every client endpoint has in common.

Views declare only what is theirs (bodies, their own errors); `ServiceAutoSchema` adds what
follows from the view's class: 401 for an API key, 429 for a rate limit, 413 for a body (415
if it is parsed), the Idempotency-Key header with 409/422 for an idempotent method, and 503.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from clients.idempotency import HEADER as IDEMPOTENCY_HEADER
from clients.idempotency import MAX_KEY_LENGTH

from .problems import DEFAULT_CODES as DEFAULT_CODES_BY_STATUS
from .problems import PROBLEM_CONTENT_TYPE


class _Enumerator(EndpointEnumerator):
    """drf-spectacular's, which also sees each view behind `by_method` as its own endpoint."""

    def should_include_endpoint(self, path, callback):
        return hasattr(callback, "views") or super().should_include_endpoint(path, callback)

    def get_allowed_methods(self, callback):
        if hasattr(callback, "views"):
            return list(callback.views)
        return super().get_allowed_methods(callback)

    def get_api_endpoints(self, patterns=None, prefix=""):
        return [
            (path, regex, method, getattr(callback, "views", {}).get(method, callback))
            for path, regex, method, callback in super().get_api_endpoints(patterns, prefix)
        ]


class ServiceSchemaGenerator(SchemaGenerator):
    endpoint_inspector_cls = _Enumerator


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details; some problems add members (e.g. `paymentId`)."""

    type = serializers.CharField(help_text="`urn:problem:<code>`.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable and machine-readable.")
    requestId = serializers.CharField(help_text="The request's X-Request-ID.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Validation errors: field (dotted path, or "nonField") to messages.',
    )


_WHY = {
    400: "Invalid input.",
    401: "Missing or invalid API key.",
    402: "The payment failed at Razorpay; `retryable` says whether it can be paid again.",
    404: "Not found, or not the caller's.",
    409: "Conflicts with the resource's state, or the same Idempotency-Key is still running.",
    413: "Body larger than MAX_REQUEST_BODY_BYTES.",
    415: "Body is not JSON.",
    422: "Idempotency-Key reused with a different body.",
    429: "Rate limited; retry after Retry-After seconds.",
    500: "Not applied because of a transient error; Razorpay delivers it again.",
    502: "Razorpay unavailable; retry after Retry-After seconds.",
    503: "Database unavailable; retry after Retry-After seconds.",
    504: "Razorpay timed out; the outcome is unknown until it is retried or synced.",
}


# The `code`s any operation may answer with a status; `problems(codes=...)` adds its own.
COMMON_CODES = {
    400: ["validation_error", "malformed_json"],
    401: ["authentication_failed"],
    402: [],
    404: ["not_found"],
    409: [],
    413: ["payload_too_large"],
    415: ["unsupported_media_type"],
    422: [],
    429: ["rate_limited"],
    500: ["internal_error"],
    502: ["gateway_unavailable"],
    503: ["database_unavailable"],
    504: ["gateway_timeout"],
}
IDEMPOTENCY_CODES = {
    400: ["idempotency_key_missing"],
    409: ["idempotency_key_in_use"],
    422: ["idempotency_key_reused"],
}


def _problem_example(status: int, code: str, body) -> OpenApiExample:
    value = {
        "type": f"urn:problem:{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": _WHY[status],
        "code": code,
        "requestId": "5f0c6f3e9b2a4d0e8c1b7a6d5e4f3a2b",
    }
    if code == "validation_error":
        value["errors"] = {"amount": ["Must be a JSON integer (minor units)."]}
    value.update(getattr(body, "example_members", {}))
    return OpenApiExample(code, value=value, status_codes=[status], response_only=True)


def problems(*statuses: int, bodies: dict | None = None, codes: dict | None = None) -> dict:
    """`extend_schema(responses=...)` entries: a problem body for each status (`bodies` names
    a ProblemSerializer subclass, with the problem's own members, for some of them), described
    with the `code`s it may carry (the common ones and the operation's own `codes`), one
    example each."""
    bodies = bodies or {}
    codes = codes or {}
    responses = {}
    for status in statuses:
        body = bodies.get(status, ProblemSerializer)
        listed = [*codes.get(status, []), *COMMON_CODES[status]]
        listed = list(dict.fromkeys(listed)) or [DEFAULT_CODES_BY_STATUS.get(status, "error")]
        responses[(status, PROBLEM_CONTENT_TYPE)] = OpenApiResponse(
            body,
            description=f"{_WHY[status]} `code`: " + ", ".join(f"`{c}`" for c in listed) + ".",
            examples=[_problem_example(status, code, body) for code in listed],
        )
    return responses


_REQUEST_ID = OpenApiParameter(
    "X-Request-ID",
    str,
    OpenApiParameter.HEADER,
    description="Your id for this request (1-128 of `A-Za-z0-9._:-`); one is made if absent.",
)
_REQUEST_ID_ECHO = OpenApiParameter(
    "X-Request-ID",
    str,
    OpenApiParameter.HEADER,
    response=True,
    description="The request's id, also in problem bodies and the service's logs.",
)
_RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[409, 429, 502, 503, 504],
    description="Seconds to wait before retrying.",
)
_KEY_USE = "Unique per operation; a retry with the same key and body replays the answer."
_IDEMPOTENCY_KEY = {  # by whether the operation requires the header
    required: OpenApiParameter(
        IDEMPOTENCY_HEADER,
        {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        OpenApiParameter.HEADER,
        required=required,
        description=_KEY_USE if required else f"Optional here. {_KEY_USE}",
    )
    for required in (True, False)
}
_REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    {"type": "string", "enum": ["true"]},
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="Present when this is the stored answer to an earlier request with the key.",
)


class ServiceAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = [*super().get_override_parameters(), _REQUEST_ID, _REQUEST_ID_ECHO]
        parameters.append(_RETRY_AFTER)  # only on the statuses it lists that the operation has
        if self._idempotent():
            optional = not getattr(self.view, self.method.lower()).idempotency_required
            parameters += [_IDEMPOTENCY_KEY[not optional], _REPLAYED]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        idempotent = self._idempotent()
        for status in self._implied_problems():
            if str(status) not in responses:
                codes = IDEMPOTENCY_CODES if idempotent else None
                [((code, media_type), response)] = problems(status, codes=codes).items()
                responses[str(code)] = self._get_response_for_code(
                    response, str(code), [media_type], direction
                )
        return responses

    def _is_list_view(self, serializer=None):
        # Decides pagination parameters; the success body says, not the first problem listed.
        responses = self.get_response_serializers() if serializer is None else serializer
        if isinstance(responses, dict):
            success = [body for code, body in responses.items() if str(code).startswith("2")]
            responses = success[0] if success else responses
        return super()._is_list_view(responses)

    def _implied_problems(self) -> list[int]:
        statuses = [503]
        if self.view.get_authenticators():
            statuses.append(401)
        if self.view.get_throttles():
            statuses.append(429)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses.append(413)
            if self.view.get_parsers():
                statuses.append(415)
        if self._idempotent():
            statuses += [400, 409, 422]
        return statuses

    def _idempotent(self) -> bool:
        method = getattr(self.view, self.method.lower(), None)
        return hasattr(method, "idempotency_operation")


class ClientAppKeyScheme(OpenApiAuthenticationExtension):
    target_class = "clients.auth.ClientAppAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "API key (psk_...)",
            "description": "A client app's API key: `Authorization: Bearer <key>`.",
        }
