"""The event feed: a client app's events in commit order, from a cursor, never skipping one."""

from clients.models import ClientApp

from .models import Event, WebhookEndpoint, event_position


def event_feed(
    *, client_app: ClientApp, after: str | None, types: list[str], limit: int
) -> tuple[list[Event], bool]:
    """Up to `limit` events after the event id `after` (None: from the oldest kept), and
    whether more are there now. Positions follow commit order, so an event committing later
    can never sort before one already served."""
    events = Event.objects.filter(client_app=client_app)
    if after is not None:
        events = events.filter(seq__gt=event_position(after))
    if types:
        events = events.filter(type__in=types)
    page = list(events.order_by("seq")[: limit + 1])
    return page[:limit], len(page) > limit


def webhook_endpoints(*, client_app: ClientApp):
    return WebhookEndpoint.objects.filter(client_app=client_app).order_by("created_at", "id")


def webhook_endpoint_of(*, client_app: ClientApp, endpoint_id: str) -> WebhookEndpoint | None:
    """The app's endpoint of that id; None for another app's."""
    return WebhookEndpoint.objects.filter(client_app=client_app, pk=endpoint_id).first()
