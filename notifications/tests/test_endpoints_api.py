"""/webhook-endpoints: a client app adds, lists, rotates and removes its own endpoints; the
secret is shown once; another app's endpoint does not exist for it; bad input is a 400."""

import pytest
from rest_framework.test import APIClient

from clients.services import client_app_create
from notifications.models import WebhookEndpoint
from notifications.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks"  # allowed outside production (the tests' settings)


def add(api, body=None, **headers):
    return api.post("/webhook-endpoints", body or {"url": URL}, format="json", headers=headers)


def test_adding_an_endpoint_answers_it_with_its_secret_once(api):
    response = add(api, {"url": URL, "events": ["payment.captured", "refund.processed"]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "url", "events", "enabled", "createdAt", "secret"}
    assert body["id"].startswith("we_") and body["secret"].startswith("whsec_")
    assert (body["url"], body["enabled"]) == (URL, True)
    assert body["events"] == ["payment.captured", "refund.processed"]

    listed = api.get("/webhook-endpoints").json()
    assert set(listed) == {"count", "next", "previous", "results"}
    assert listed["count"] == 1
    (shown,) = listed["results"]
    assert "secret" not in shown
    assert shown == {key: value for key, value in body.items() if key != "secret"}


def test_events_omitted_means_every_type(api):
    body = add(api).json()
    assert body["events"] == []
    assert WebhookEndpoint.objects.get(pk=body["id"]).wants("refund.failed")


def test_the_idempotency_key_is_optional_and_replays_when_sent(api):
    first = add(api, **{"Idempotency-Key": "we-1"})
    again = add(api, **{"Idempotency-Key": "we-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert add(api).status_code == 201  # none: simply another endpoint
    assert WebhookEndpoint.objects.count() == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": URL, "events": ["payment.exploded"]}, "events"),
        ({"url": "ftp://127.0.0.1/hooks"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://user:pw@127.0.0.1/hooks"}, "url"),
        ({"url": "http://no-such-host.invalid/hooks"}, "url"),
        ({"events": ["payment.captured"]}, "url"),
    ],
)
def test_an_unknown_type_or_a_refused_url_is_400_naming_the_field(api, body, field):
    response = add(api, body)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"], response.json()
    assert not WebhookEndpoint.objects.exists()


def test_rotating_answers_a_new_secret_and_keeps_the_old_for_the_overlap(api):
    added = add(api).json()
    response = api.post(f"/webhook-endpoints/{added['id']}/rotate-secret")
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != added["secret"]
    endpoint = WebhookEndpoint.objects.get(pk=added["id"])
    assert (endpoint.secret, endpoint.previous_secret) == (rotated["secret"], added["secret"])
    assert endpoint.previous_secret_until is not None


def test_deleting_removes_it(api):
    added = add(api).json()
    assert api.delete(f"/webhook-endpoints/{added['id']}").status_code == 204
    assert api.get("/webhook-endpoints").json()["count"] == 0
    assert api.delete(f"/webhook-endpoints/{added['id']}").status_code == 404


def test_another_apps_endpoint_is_a_404_and_is_left_alone(api, client_app):
    other_app, _ = client_app_create(name="other")
    theirs, secret = webhook_endpoint_create(client_app=other_app, url=URL)
    for response in (
        api.delete(f"/webhook-endpoints/{theirs.pk}"),
        api.post(f"/webhook-endpoints/{theirs.pk}/rotate-secret"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert api.get("/webhook-endpoints").json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.secret == secret and theirs.previous_secret == ""


def test_without_a_key_it_is_401():
    assert APIClient().get("/webhook-endpoints").status_code == 401
