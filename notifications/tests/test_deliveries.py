"""Deliveries to a real HTTP receiver: signed so that `standardwebhooks` verifies them (with
either secret during a rotation's overlap), only the events after the endpoint was added and
of its types, retried on the schedule until it runs out, the endpoint disabled after days of
failing, a test event, a redelivery."""

from datetime import timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from notifications import deliveries, services
from notifications.deliveries import deliveries_run_due
from notifications.models import Delivery, DeliveryAttempt
from notifications.services import (
    delivery_redeliver,
    event_record,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
)
from payments_service.clock import now

from .receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def record(client_app, kind="payment.captured", n=0):
    return event_record(
        client_app=client_app, type=kind, object_id=f"pmt_{n}", data={"n": n}, actor="razorpay"
    )


class Clock:
    """Moves the service's clock (payments_service.clock.now, as notifications reads it)."""

    def __init__(self, monkeypatch):
        self.moment = now()
        for module in (deliveries, services):
            monkeypatch.setattr(module, "now", lambda: self.moment)

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def test_an_event_is_posted_as_the_feeds_json_and_verifies_with_standardwebhooks(
    api, client_app, receiver
):
    record(client_app, n=0)  # before the endpoint: not sent
    endpoint, secret = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    event = record(client_app, n=1)

    assert deliveries_run_due() == ["delivered"]
    (request,) = receiver.received()
    assert request.verified(secret) == api.get("/events").json()["results"][-1]
    assert request.headers["webhook-id"] == event.id
    assert request.headers["Content-Type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJD" * 8).verify(request.body, request.headers)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    (attempt,) = delivery.attempts_made.all()
    assert (attempt.status_code, attempt.response_excerpt) == (200, "ok")
    endpoint.refresh_from_db()
    assert endpoint.last_success_at is not None and endpoint.after_seq == event.seq
    assert deliveries_run_due() == []  # nothing twice


def test_an_endpoint_gets_only_the_types_it_asked_for(client_app, receiver):
    webhook_endpoint_create(client_app=client_app, url=receiver.url(), events=["refund.failed"])
    record(client_app, "payment.captured")
    record(client_app, "refund.failed")
    deliveries_run_due()
    assert [r.json["type"] for r in receiver.received()] == ["refund.failed"]


def test_another_apps_events_are_not_sent(client_app, receiver):
    from clients.services import client_app_create

    other, _ = client_app_create(name="other")
    webhook_endpoint_create(client_app=client_app, url=receiver.url())
    record(other)
    assert deliveries_run_due() == [] and receiver.received() == []


def test_after_a_rotation_both_secrets_verify_until_the_overlap_ends(
    client_app, receiver, clock, settings
):
    settings.NOTIFY_SECRET_OVERLAP_SECONDS = 3600
    endpoint, old = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    new = webhook_endpoint_rotate_secret(endpoint=endpoint)
    record(client_app)
    deliveries_run_due()
    (request,) = receiver.received()
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verified(old) == request.verified(new) == request.json

    clock.advance(hours=1, seconds=1)
    record(client_app, n=1)
    deliveries_run_due()
    later = receiver.received()[-1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    # standardwebhooks checks the timestamp against the real clock: verify by signature only
    expected = deliveries.sign(
        secret=new,
        msg_id=later.headers["webhook-id"],
        timestamp=int(later.headers["webhook-timestamp"]),
        body=later.body,
    )
    assert later.headers["webhook-signature"] == expected


def test_a_failing_receiver_is_retried_on_the_schedule_then_the_delivery_fails(
    client_app, receiver, clock, settings
):
    settings.NOTIFY_RETRY_SCHEDULE = [10, 60]
    webhook_endpoint_create(client_app=client_app, url=receiver.url())
    record(client_app)
    receiver.status = 503
    assert deliveries_run_due() == ["pending"]
    delivery = Delivery.objects.get()
    wait = (delivery.next_attempt_at - clock.moment).total_seconds()
    assert 9 <= wait <= 11  # 10 s ± 10 %
    clock.advance(seconds=8)
    assert deliveries_run_due() == []  # not due yet
    clock.advance(seconds=4)
    assert deliveries_run_due() == ["pending"]
    delivery.refresh_from_db()
    assert 54 <= (delivery.next_attempt_at - clock.moment).total_seconds() <= 66
    clock.advance(seconds=70)
    assert deliveries_run_due() == ["failed"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 503)
    assert delivery.last_error == "answered 503"
    clock.advance(days=1)
    assert deliveries_run_due() == []
    ids = {r.headers["webhook-id"] for r in receiver.received()}
    assert len(receiver.received()) == 3 and len(ids) == 1  # the same webhook-id each time


def test_a_receiver_answering_nothing_in_time_is_a_failed_attempt(client_app, receiver, settings):
    settings.NOTIFY_TIMEOUT = 0.3
    receiver.delay = 1
    webhook_endpoint_create(client_app=client_app, url=receiver.url())
    record(client_app)
    assert deliveries_run_due() == ["pending"]
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None and "Timeout" in attempt.error


def test_an_endpoint_failing_for_days_without_a_success_is_disabled(
    client_app, receiver, clock, settings
):
    settings.NOTIFY_DISABLE_AFTER_DAYS = 5
    settings.NOTIFY_RETRY_SCHEDULE = [3600] * 200
    endpoint, _ = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    receiver.status = 500
    record(client_app)
    deliveries_run_due()
    for _ in range(4):  # four days of failures: still enabled
        clock.advance(days=1)
        record(client_app)
        deliveries_run_due()
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is not None
    clock.advance(days=1)
    deliveries_run_due()
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "without one success" in endpoint.disabled_reason
    assert not Delivery.objects.filter(status="pending").exists()  # its backlog is failed
    record(client_app)
    assert deliveries_run_due() == []  # nothing more is sent to it


def test_one_success_resets_the_failing_streak(client_app, receiver, clock, settings):
    settings.NOTIFY_DISABLE_AFTER_DAYS = 5
    settings.NOTIFY_RETRY_SCHEDULE = [3600] * 200
    endpoint, _ = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    receiver.script = [500, 200]
    record(client_app)
    deliveries_run_due()
    clock.advance(days=4)
    record(client_app)
    deliveries_run_due()  # the retry due and the new one: one fails, one succeeds
    receiver.status = 500
    clock.advance(days=2)
    record(client_app)
    deliveries_run_due()
    endpoint.refresh_from_db()
    assert endpoint.enabled


def test_a_test_event_goes_to_that_endpoint_only_and_is_in_no_feed(api, client_app, receiver):
    endpoint, secret = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    webhook_endpoint_create(client_app=client_app, url=receiver.url(path="/other"))
    delivery = webhook_endpoint_send_test(endpoint=endpoint)
    assert deliveries_run_due() == ["delivered"]
    (request,) = receiver.received()
    body = request.verified(secret)
    assert body["type"] == "endpoint.test" and body["id"] == request.headers["webhook-id"]
    assert body["data"]["endpoint"] == endpoint.pk
    assert request.path == "/hooks"
    assert api.get("/events").json()["results"] == []
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_redeliver_sends_a_delivered_event_again_with_the_same_webhook_id(client_app, receiver):
    webhook_endpoint_create(client_app=client_app, url=receiver.url())
    record(client_app)
    deliveries_run_due()
    assert delivery_redeliver(delivery=Delivery.objects.get())
    assert deliveries_run_due() == ["delivered"]
    first, second = receiver.received()
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert Delivery.objects.get().attempts == 2


def test_purging_old_events_takes_their_deliveries_and_old_test_deliveries(client_app, receiver):
    from notifications.services import event_purge_expired

    endpoint, _ = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    record(client_app)
    webhook_endpoint_send_test(endpoint=endpoint)
    deliveries_run_due()
    assert Delivery.objects.count() == 2 and DeliveryAttempt.objects.count() == 2
    assert event_purge_expired(before=now() + timedelta(seconds=1)) == 1  # events counted
    assert not Delivery.objects.exists() and not DeliveryAttempt.objects.exists()
