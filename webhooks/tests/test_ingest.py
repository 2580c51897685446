"""POST /webhooks/razorpay: verified, stored, deduplicated, applied forward-only."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from prometheus_client import REGISTRY

from payments.models import Payment, PaymentAttempt, PaymentStatusChange
from webhooks import handlers
from webhooks.models import RejectedDelivery, WebhookEvent
from webhooks.tests.events import deliver, event, order_entity, payment_entity, sign

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "testdata" / "razorpay-sdk-mocks"


def payment_event(order: Payment, name: str, status: str, payment_id="pay_A1b2C3d4E5f6G7"):
    entity = payment_entity(order_id=order.razorpay_order_id, payment_id=payment_id, status=status)
    if name == "order.paid":
        return event(name, entity, order=order_entity(order.razorpay_order_id))
    return event(name, entity)


@pytest.mark.parametrize(
    ("name", "entity_status", "expected"),
    [
        ("payment.authorized", "authorized", "authorized"),
        ("payment.captured", "captured", "captured"),
        ("payment.failed", "failed", "failed"),
        ("order.paid", "captured", "captured"),
    ],
)
def test_each_payment_event_moves_the_payment(client, order, name, entity_status, expected):
    response = deliver(client, payment_event(order, name, entity_status))
    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    order.refresh_from_db()
    assert order.status == expected
    stored = WebhookEvent.objects.get()
    assert (stored.event_type, stored.status, stored.attempts) == (name, "processed", 1)
    assert stored.payment_id == order.pk
    change = PaymentStatusChange.objects.filter(payment=order).last()
    assert (change.source, change.actor) == ("webhook", stored.event_id)
    attempt = PaymentAttempt.objects.get(payment=order)
    assert attempt.status == entity_status and attempt.method == "card"


def test_failed_event_keeps_the_error_details_on_the_attempt(client, order):
    deliver(client, payment_event(order, "payment.failed", "failed"))
    attempt = PaymentAttempt.objects.get(payment=order)
    assert (attempt.error_code, attempt.error_reason) == ("BAD_REQUEST_ERROR", "payment_failed")


def test_the_raw_body_is_stored_exactly_as_signed(client, order):
    body = (
        b'{"event": "payment.captured",  "payload": '
        + json.dumps(payment_event(order, "payment.captured", "captured")["payload"]).encode()
        + b"}"
    )
    deliver(client, body, event_id="evt_raw")
    assert WebhookEvent.objects.get().body.encode() == body


def test_redelivered_event_is_applied_once(client, order):
    envelope = payment_event(order, "payment.captured", "captured")
    first = deliver(client, envelope, event_id="evt_same")
    second = deliver(client, envelope, event_id="evt_same")
    assert first.json()["duplicate"] is False
    assert second.status_code == 200 and second.json()["duplicate"] is True
    assert WebhookEvent.objects.get().attempts == 1
    assert PaymentStatusChange.objects.filter(payment=order, to_status="captured").count() == 1


def test_a_signed_body_reposted_under_a_new_event_id_is_neither_stored_nor_applied_again(
    client, order
):
    body = json.dumps(payment_event(order, "payment.captured", "captured")).encode()
    assert deliver(client, body, event_id="evt_first").json()["status"] == "processed"
    counted = ("webhook_events_total", {"type": "payment.captured", "outcome": "duplicate_body"})
    before = REGISTRY.get_sample_value(*counted) or 0
    again = deliver(client, body, event_id="evt_replayed")
    assert again.status_code == 200
    assert again.json() == {"eventId": "evt_first", "status": "processed", "duplicate": True}
    assert REGISTRY.get_sample_value(*counted) == before + 1
    assert list(WebhookEvent.objects.values_list("event_id", "attempts")) == [("evt_first", 1)]
    assert PaymentStatusChange.objects.filter(payment=order, to_status="captured").count() == 1


def test_a_late_authorized_never_overwrites_captured(client, order):
    deliver(client, payment_event(order, "payment.captured", "captured"))
    deliver(client, payment_event(order, "payment.authorized", "authorized"))
    order.refresh_from_db()
    assert order.status == "captured"
    assert PaymentAttempt.objects.get(payment=order).status == "captured"


def test_event_for_an_order_made_elsewhere_is_ignored_with_the_reason(client, razorpay):
    body = (FIXTURES / "fake_payment_authorized_webhook.json").read_bytes()
    response = deliver(client, body)
    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.status == "ignored"
    assert "order_100000000order" in stored.last_error


def test_a_payment_without_an_order_is_ignored_not_matched_to_one_of_ours_without_one(
    client, order, client_app
):
    unordered = Payment.objects.create(
        client_app=client_app, external_ref="no-order-yet", amount=1000, currency="INR"
    )
    entity = payment_entity(order_id=None, payment_id="pay_NoOrder000001")
    assert deliver(client, event("payment.captured", entity)).json()["status"] == "ignored"
    unordered.refresh_from_db()
    assert unordered.status == "created"
    assert not PaymentAttempt.objects.exists()


def test_unhandled_event_types_are_stored_as_ignored(client, order):
    envelope = payment_event(order, "payment.downtime.started", "captured")
    assert deliver(client, envelope).json()["status"] == "ignored"
    assert WebhookEvent.objects.get().last_error.startswith("payment.downtime.started")
    order.refresh_from_db()
    assert order.status == "created"


def test_amount_mismatch_is_recorded_as_failed_and_not_applied(client, order):
    entity = payment_entity(
        order_id=order.razorpay_order_id, payment_id="pay_A1b2C3d4E5f6G7", amount=1
    )
    response = deliver(client, event("payment.captured", entity))
    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.status == "failed" and "1 INR" in stored.last_error
    order.refresh_from_db()
    assert order.status == "created"
    assert not PaymentAttempt.objects.exists()


def test_a_handler_crash_answers_500_and_a_redelivery_completes_it(client, order, monkeypatch):
    envelope = payment_event(order, "payment.captured", "captured")
    with monkeypatch.context() as patch:
        patch.setitem(handlers.HANDLERS, "payment.captured", _explode)
        response = deliver(client, envelope, event_id="evt_crash")
    assert response.status_code == 500
    assert response.json()["code"] == "webhook_processing_failed"
    stored = WebhookEvent.objects.get()
    assert stored.status == "failed" and "database hiccup" in stored.last_error
    order.refresh_from_db()
    assert order.status == "created"

    again = deliver(client, envelope, event_id="evt_crash")
    assert again.status_code == 200 and again.json()["status"] == "processed"
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.last_error) == ("processed", 2, "")


def test_a_handler_failing_after_writing_leaves_none_of_its_writes(client, order, monkeypatch):
    def apply_then_fail(payload, *, actor):
        handlers.apply_payment_entity(payload, actor=actor)
        raise RuntimeError("database hiccup after the payment was updated")

    monkeypatch.setitem(handlers.HANDLERS, "payment.captured", apply_then_fail)
    response = deliver(client, payment_event(order, "payment.captured", "captured"))
    assert response.status_code == 500
    assert WebhookEvent.objects.get().status == "failed"
    order.refresh_from_db()
    assert order.status == "created"
    assert not PaymentAttempt.objects.exists()
    assert not PaymentStatusChange.objects.filter(payment=order, to_status="captured").exists()


def test_process_webhooks_command_retries_failed_events(client, order, monkeypatch, capsys):
    with monkeypatch.context() as patch:
        patch.setitem(handlers.HANDLERS, "payment.captured", _explode)
        deliver(client, payment_event(order, "payment.captured", "captured"))
    call_command("process_webhooks")  # pending only: the failed one is left
    assert WebhookEvent.objects.get().status == "failed"
    call_command("process_webhooks", "--failed", "--since", "2020-01-01")
    assert WebhookEvent.objects.get().status == "processed"
    assert "1 processed" in capsys.readouterr().out
    order.refresh_from_db()
    assert order.status == "captured"


def _explode(payload, *, actor):  # a handler failing the way a database hiccup would
    raise RuntimeError("database hiccup")


# --- refused deliveries -----------------------------------------------------------------------
def test_bad_signature_is_400_recorded_apart_and_applies_nothing(client, order):
    envelope = payment_event(order, "payment.captured", "captured")
    response = deliver(client, envelope, event_id="evt_genuine", signature="f" * 64)
    assert response.status_code == 400
    assert response.json()["code"] == "signature_invalid"
    rejected = RejectedDelivery.objects.get()
    assert (rejected.reason, rejected.event_id) == ("signature_invalid", "evt_genuine")
    assert not WebhookEvent.objects.exists()
    # the forged copy did not take the event id: the genuine delivery is applied
    assert deliver(client, envelope, event_id="evt_genuine").json()["status"] == "processed"


def test_missing_signature_is_400(client, order):
    response = client.post("/webhooks/razorpay", b"{}", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "signature_missing"
    assert RejectedDelivery.objects.get().reason == "signature_missing"


def test_a_flood_of_forgeries_is_refused_but_only_a_few_are_kept(client, order, settings):
    settings.WEBHOOK_REJECTED_KEPT_RATE = "3/m"
    envelope = payment_event(order, "payment.captured", "captured")
    statuses = {
        deliver(client, envelope, event_id=f"evt_forged{n}", signature="f" * 64).status_code
        for n in range(10)
    }
    assert statuses == {400}
    assert RejectedDelivery.objects.count() == 3


def test_rejected_deliveries_are_purged_after_their_retention(client, order, settings, capsys):
    settings.WEBHOOK_REJECTED_RETENTION_SECONDS = 3600
    envelope = payment_event(order, "payment.captured", "captured")
    for event_id in ("evt_old", "evt_new"):
        deliver(client, envelope, event_id=event_id, signature="f" * 64)
    old = RejectedDelivery.objects.filter(event_id="evt_old")
    old.update(received_at=old.get().received_at - timedelta(hours=2))
    call_command("purge_rejected_deliveries")
    assert "Purged 1 " in capsys.readouterr().out
    assert list(RejectedDelivery.objects.values_list("event_id", flat=True)) == ["evt_new"]


DEEP = b'{"event": "payment.captured", "payload": {"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}"
SURROGATE = b'{"event": "payment.captured", "payload": {"notes": "\\ud800"}}'


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"event": "x"}', b"\xff\xfe", DEEP, SURROGATE],
    ids=["text", "list", "no-payload", "not-utf8", "deep", "lone-surrogate"],
)
def test_signed_body_that_is_not_an_event_is_400(client, razorpay, body):
    response = deliver(client, body)
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    assert not WebhookEvent.objects.exists()


def test_huge_body_is_413_before_anything_is_read(client, razorpay, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1000
    response = deliver(client, b"{" + b" " * 2000 + b"}")
    assert response.status_code == 413
    assert not WebhookEvent.objects.exists() and not RejectedDelivery.objects.exists()


def test_previous_secret_is_accepted_during_rotation(client, order, settings):
    settings.RAZORPAY_WEBHOOK_SECRET_PREVIOUS = "old_secret"
    body = json.dumps(payment_event(order, "payment.captured", "captured")).encode()
    response = deliver(client, body, signature=sign(body, "old_secret"))
    assert response.json()["status"] == "processed"


def test_webhooks_are_not_rate_limited_by_client_app_limits(client, order, settings):
    settings.RATE_LIMIT_CLIENT_APP = "1/m"
    settings.RATE_LIMIT_CONFIRM_IP = "1/m"
    statuses = {
        deliver(client, payment_event(order, "payment.authorized", "authorized")).status_code
        for _ in range(5)
    }
    assert statuses == {200}


def test_admin_reprocess_action_applies_a_failed_event(admin_client, client, order, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setitem(handlers.HANDLERS, "payment.captured", _explode)
        deliver(client, payment_event(order, "payment.captured", "captured"))
    stored = WebhookEvent.objects.get()
    response = admin_client.post(
        "/admin/webhooks/webhookevent/",
        {"action": "reprocess", "_selected_action": [stored.pk]},
        follow=True,
    )
    assert response.status_code == 200
    stored.refresh_from_db()
    assert stored.status == "processed"
    order.refresh_from_db()
    assert order.status == "captured"
