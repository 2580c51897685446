"""Migrations that must cope with the rows a running deployment already has."""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from webhooks.models import WebhookEvent
from webhooks.tests.events import deliver

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_DIGESTS = [("webhooks", "0005_webhookevent_traceback")]


def digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def test_events_stored_before_the_body_digest_may_share_a_body(client, razorpay):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_DIGESTS)
    old = executor.loader.project_state(BEFORE_DIGESTS).apps.get_model("webhooks", "WebhookEvent")
    shared = '{"event": "payment.captured", "payload": {}, "created_at": 1}'
    other = '{"event": "payment.failed", "payload": {}, "created_at": 1}'
    # Copies of one body stored under different event ids, as the service used to store them.
    for event_id, body in [("evt_a", shared), ("evt_b", shared), ("evt_c", other)]:
        old.objects.create(event_id=event_id, event_type="payment.captured", body=body)

    executor = MigrationExecutor(connection)  # a fresh graph, as `migrate` starts with
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(WebhookEvent.objects.values_list("event_id", "body_sha256")) == {
        "evt_a": digest(shared),  # the first of the copies keeps the digest, unique from now on
        "evt_b": None,
        "evt_c": digest(other),
    }
    again = deliver(client, shared.encode(), event_id="evt_new")  # found by the digest
    assert again.json() == {"eventId": "evt_a", "status": "pending", "duplicate": True}
    assert WebhookEvent.objects.count() == 3
