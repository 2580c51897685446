"""The event feed and webhook endpoints for client apps. Views validate, call one service or
selector, serialize."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from clients.api import ClientAppApi
from clients.idempotency import idempotent
from payments_service.api import Pagination
from payments_service.openapi import problems

from . import selectors, services
from .serializers import (
    EventFeedFilters,
    EventFeedOutput,
    EventOutput,
    WebhookEndpointInput,
    WebhookEndpointOutput,
    WebhookEndpointSecretOutput,
)

_EXAMPLE = {
    "results": [
        {
            "id": "evt_00000000000003e8",
            "type": "payment.captured",
            "createdAt": "2026-12-01T10:15:02.120000Z",
            "actor": "razorpay",
            "data": {"id": "pmt_01JEXAMPLE0000000000000000", "status": "captured", "version": 3},
        }
    ],
    "hasMore": False,
}


class EventFeedApi(ClientAppApi):
    @extend_schema(
        operation_id="events_list",
        summary="The caller's events, oldest first",
        description="Every change a client app cares about, in the order it committed. Resume "
        "with `after=<the last id seen>`: the feed never skips an event: events are numbered "
        "in the order their transactions commit. Kept `EVENT_RETENTION_DAYS` (30) days. The "
        "one list with a cursor instead of pages.",
        parameters=[EventFeedFilters],
        responses={200: EventFeedOutput, **problems(400)},
        examples=[OpenApiExample("A page", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        filters = EventFeedFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        fields = filters.validated_data
        events, more = selectors.event_feed(
            client_app=request.user,
            after=fields.get("after"),
            types=fields.get("type", []),
            limit=fields["pageSize"],
        )
        return Response({"results": EventOutput(events, many=True).data, "hasMore": more})


_ENDPOINT = {
    "id": "we_01JEXAMPLE0000000000000000",
    "url": "https://shop.example.com/hooks/payments",
    "events": ["payment.captured", "refund.processed"],
    "enabled": True,
    "createdAt": "2026-12-01T10:15:02.120000Z",
}
_SECRET = {**_ENDPOINT, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
_DELIVERIES = (
    "Each event is POSTed as the feed's JSON with the Standard Webhooks headers `webhook-id` "
    "(the event id, the same on every retry), `webhook-timestamp` and `webhook-signature` "
    "(`v1,<base64 HMAC-SHA256 of id.timestamp.body>`): verify it with the `standardwebhooks` "
    "library. A 2xx within 10 s is delivered; anything else is retried for about three days. "
    "At least once, in no promised order (`data.version` orders them)."
)


class WebhookEndpointListApi(ClientAppApi):
    pagination_class = Pagination

    @extend_schema(
        operation_id="webhook_endpoints_list",
        summary="The caller's webhook endpoints",
        description="Without their secrets.",
        # 404: a `page` past the end (or not a page number), as on every list.
        responses={200: WebhookEndpointOutput(many=True), **problems(404)},
        examples=[OpenApiExample("An endpoint", value=_ENDPOINT, response_only=True)],
    )
    def get(self, request):
        return self.paginated(
            selectors.webhook_endpoints(client_app=request.user), WebhookEndpointOutput
        )


class WebhookEndpointCreateApi(ClientAppApi):
    @extend_schema(
        operation_id="webhook_endpoints_create",
        summary="Add a webhook endpoint",
        description="It gets the events recorded from now on. " + _DELIVERIES + " The signing "
        "`secret` is in this answer only. In production the URL must be `https://` and "
        "resolve to a public address.",
        request=WebhookEndpointInput,
        responses={
            201: WebhookEndpointSecretOutput,
            **problems(400, codes={400: ["validation_error"]}),
        },
        examples=[
            OpenApiExample(
                "Two types",
                value={"url": _ENDPOINT["url"], "events": _ENDPOINT["events"]},
                request_only=True,
            ),
            OpenApiExample("Added", value=_SECRET, response_only=True),
        ],
    )
    @idempotent("webhook_endpoints.create", required=False)
    def post(self, request):
        data = WebhookEndpointInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(
            client_app=request.user,
            url=data.validated_data["url"],
            events=data.validated_data["events"],
        )
        body = {**WebhookEndpointOutput(endpoint).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


def _own_endpoint(request, endpoint_id: str):
    endpoint = selectors.webhook_endpoint_of(client_app=request.user, endpoint_id=endpoint_id)
    if endpoint is None:  # another app's too: nothing tells it exists
        raise Http404
    return endpoint


class WebhookEndpointApi(ClientAppApi):
    @extend_schema(
        operation_id="webhook_endpoints_delete",
        summary="Remove a webhook endpoint",
        description="Nothing more is sent to it.",
        responses={204: None, **problems(404)},
    )
    def delete(self, request, endpoint_id: str):
        services.webhook_endpoint_delete(endpoint=_own_endpoint(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateApi(ClientAppApi):
    @extend_schema(
        operation_id="webhook_endpoints_rotate_secret",
        summary="A new signing secret",
        description="Deliveries carry a signature with each of the new and the previous "
        "secret for `NOTIFY_SECRET_OVERLAP` (24 h), so a receiver verifies with either while "
        "it switches. The new `secret` is in this answer only.",
        request=None,
        responses={200: WebhookEndpointSecretOutput, **problems(404)},
        examples=[OpenApiExample("Rotated", value=_SECRET, response_only=True)],
    )
    def post(self, request, endpoint_id: str):
        endpoint = _own_endpoint(request, endpoint_id)
        secret = services.webhook_endpoint_rotate_secret(endpoint=endpoint)
        return Response({**WebhookEndpointOutput(endpoint).data, "secret": secret})
