"""The event feed for client apps. Views validate, call one selector, serialize."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from clients.api import ClientAppApi
from payments_service.openapi import problems

from . import selectors
from .serializers import EventFeedFilters, EventFeedOutput, EventOutput

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
