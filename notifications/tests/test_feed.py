"""GET /events: a client app's events, oldest first, with a cursor; the same JSON a delivery
will POST; another app's events are never there."""

import pytest
from rest_framework.test import APIClient

from clients.services import client_app_create
from notifications.models import Event
from notifications.services import event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(api, initiate, razorpay) -> dict:
    """A payment initiated and confirmed through the API (captured)."""
    body = initiate().json()
    handler = razorpay.pay(body["razorpayOrderId"], outcome="captured")
    return APIClient().post("/payments/confirm", handler, format="json").json()


def feed(api, **query):
    response = api.get("/events", query)
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_confirmed_payment_is_one_captured_event_with_the_apis_own_json(api, captured):
    page = feed(api)
    assert page["hasMore"] is False
    (event,) = page["results"]
    assert set(event) == {"id", "type", "createdAt", "actor", "data"}
    assert (event["type"], event["actor"]) == ("payment.captured", "app")
    now_shown = api.get(f"/payments/{captured['id']}").json()
    assert event["data"] == now_shown == captured
    assert event["data"]["version"] == 2  # created (1), captured (2)


def test_the_cursor_pages_through_in_order_and_says_when_there_is_more(api, client_app):
    for n in range(5):
        event_record(
            client_app=client_app,
            type="payment.failed",
            object_id=f"pmt_{n}",
            data={"n": n},
            actor="system",
        )
    first = feed(api, pageSize=2)
    assert [e["data"]["n"] for e in first["results"]] == [0, 1] and first["hasMore"]
    second = feed(api, pageSize=2, after=first["results"][-1]["id"])
    assert [e["data"]["n"] for e in second["results"]] == [2, 3] and second["hasMore"]
    last = feed(api, pageSize=2, after=second["results"][-1]["id"])
    assert [e["data"]["n"] for e in last["results"]] == [4] and not last["hasMore"]
    ids = [e["id"] for e in first["results"] + second["results"] + last["results"]]
    assert ids == sorted(ids)  # ids sort in feed order


def test_the_type_filter_keeps_only_those_types(api, client_app):
    for kind in ("payment.failed", "refund.created", "payment.captured"):
        event_record(client_app=client_app, type=kind, object_id="x", data={}, actor="app")
    page = feed(api, type="refund.created,payment.captured")
    assert [e["type"] for e in page["results"]] == ["refund.created", "payment.captured"]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"type": "payment.exploded"}, "type"),
        ({"after": "evt_nothex"}, "after"),
        ({"after": "42"}, "after"),
        ({"pageSize": "101"}, "pageSize"),
        ({"pageSize": "0"}, "pageSize"),
    ],
)
def test_a_bad_query_is_400_naming_the_field(api, query, field):
    response = api.get("/events", query)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]


def test_another_apps_events_are_never_in_the_feed(api, captured):
    _, other_key = client_app_create(name="other")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert feed(other) == {"results": [], "hasMore": False}
    mine = feed(api)["results"][0]["id"]
    assert feed(other, after=mine) == {"results": [], "hasMore": False}


def test_the_feed_needs_an_api_key(db):
    assert APIClient().get("/events").status_code == 401


def test_old_events_are_purged_by_the_purge_chore(client_app, settings):
    from datetime import timedelta

    from backoffice.chores import chore_execute, chores_ensure
    from payments_service.clock import now

    settings.EVENT_RETENTION_DAYS = 30
    event_record(client_app=client_app, type="payment.failed", object_id="x", data={}, actor="app")
    kept = event_record(
        client_app=client_app, type="payment.failed", object_id="y", data={}, actor="app"
    )
    Event.objects.exclude(pk=kept.pk).update(created_at=now() - timedelta(days=31))
    chores_ensure()
    assert "1 event(s)" in chore_execute(name="purge")
    assert list(Event.objects.values_list("object_id", flat=True)) == ["y"]
