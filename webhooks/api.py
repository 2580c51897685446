"""POST /webhooks/razorpay. Razorpay only: signed, never rate limited by the client-app limits,
and outside any request-wide transaction so that failure records survive."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from payments_service.metrics import WEBHOOK_EVENTS
from payments_service.openapi import problems
from payments_service.problems import problem_from_exception

from .errors import WebhookProcessingFailed
from .models import WebhookEvent
from .services import webhook_process, webhook_receive, webhook_redelivery_wanted


class _AlwaysJson(BaseContentNegotiation):
    """Whatever Razorpay's Accept header says, a delivery is answered (406 would lose it)."""

    def select_parser(self, request, parsers):
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class WebhookAck(serializers.Serializer):
    eventId = serializers.CharField()
    status = serializers.ChoiceField(choices=WebhookEvent.Status.values)
    duplicate = serializers.BooleanField(
        help_text="This delivery applied nothing: an earlier copy was applied (the same event "
        "id), or the same signed body is stored as the event `eventId`."
    )


class RazorpayWebhookApi(APIView):
    content_negotiation_class = _AlwaysJson
    parser_classes = []  # the raw body is verified, never parsed by DRF

    @extend_schema(
        operation_id="webhooks_razorpay",
        summary="Razorpay webhook deliveries",
        description="For Razorpay only. Stored, verified and deduplicated on the event id, "
        "then applied once; a permanent failure is kept as `failed`/`ignored` and answers 200.",
        parameters=[
            OpenApiParameter(
                "X-Razorpay-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Hex HMAC-SHA256 of the raw body with the webhook secret.",
            ),
            OpenApiParameter("X-Razorpay-Event-Id", str, OpenApiParameter.HEADER),
        ],
        request={"application/json": {"type": "object", "description": "Razorpay's event."}},
        responses={
            200: OpenApiResponse(WebhookAck, description="Stored, and applied once."),
            **problems(400, 500),
        },
    )
    def post(self, request):
        event, same_body = webhook_receive(
            body=request.body,
            headers=request.headers,
            remote_addr=request.META.get("REMOTE_ADDR", ""),
        )
        if same_body:  # another event id's signed body: that event is applied, or will be
            WEBHOOK_EVENTS.labels(event.event_type, "duplicate_body").inc()
            return Response({"eventId": event.event_id, "status": event.status, "duplicate": True})
        duplicate = event.status in WebhookEvent.FINAL
        try:
            if not duplicate:  # a final status never changes: nothing to lock or apply
                event = webhook_process(event_pk=event.pk)
        except Exception:  # an error of ours, stored as failed with its traceback
            if webhook_redelivery_wanted(event):  # a 500 makes Razorpay deliver it again
                WEBHOOK_EVENTS.labels(event.event_type, "error").inc()
                return problem_from_exception(
                    request, WebhookProcessingFailed(f"Event {event.event_id} will be retried.")
                )
            event.refresh_from_db()  # too old to be redelivered: left for process_webhooks
        WEBHOOK_EVENTS.labels(event.event_type, "duplicate" if duplicate else event.status).inc()
        return Response({"eventId": event.event_id, "status": event.status, "duplicate": duplicate})
