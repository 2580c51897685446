"""How a webhook that cannot be applied is answered and kept. A known outcome (a mismatch, a
malformed entity, not ours) is permanent: 200, kept with its reason. Anything else is an error
of ours (a bug, the database): kept with its traceback, logged, counted, and answered 500 so
that Razorpay delivers it again, while the event is young enough for that to help."""

import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.test import Client
from prometheus_client import REGISTRY

from payments.models import Payment, PaymentAttempt, PaymentStatusChange
from payments_service.clock import now
from reliability.tests.conftest import postgres_only
from webhooks import handlers, services
from webhooks.models import WebhookEvent
from webhooks.tests.events import deliver, event, payment_entity
from webhooks.tests.test_ingest import payment_event

pytestmark = pytest.mark.django_db


def errors_counted(error: str, event_type: str = "payment.captured") -> float:
    labels = {"type": event_type, "error": error}
    return REGISTRY.get_sample_value("webhook_processing_errors_total", labels) or 0


def applies_then(exc: Exception):
    """A handler with a bug of ours: it applies the event, then fails."""

    def handler(payload, *, actor):
        handlers.apply_payment_entity(payload, actor=actor)
        raise exc

    return handler


def buggy(payload, *, actor):
    handlers.apply_payment_entity(payload, actor=actor)
    return payload["payment"]["entity"]["acquirer_data"]["rrn"]  # KeyError: a typo'd field


def assert_nothing_applied(order: Payment) -> None:
    order.refresh_from_db()
    assert order.status == "created"
    assert not PaymentAttempt.objects.exists()


# --- permanent: 200, kept as failed with the reason, no traceback, no error counted -----------
def test_a_domain_mismatch_is_a_permanent_failure_answered_200(client, order, caplog):
    entity = payment_entity(order_id=order.razorpay_order_id, payment_id="pay_Mismatch000001")
    entity["currency"] = "USD"
    before = errors_counted("PaymentMismatch")
    response = deliver(client, event("payment.captured", entity))
    assert response.status_code == 200 and response.json()["status"] == "failed"
    stored = WebhookEvent.objects.get()
    assert "USD" in stored.last_error and stored.traceback == ""
    assert errors_counted("PaymentMismatch") == before
    assert "not applied" in caplog.text  # logged as a warning, for whoever looks
    assert_nothing_applied(order)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e.pop("amount"), "has no 'amount'"),
        (lambda e: e.update(amount="ten rupees"), "invalid literal"),
        (lambda e: e.update(amount=None), "int()"),
        (lambda e: e.pop("id"), "has no 'id'"),
    ],
    ids=["amount-missing", "amount-not-a-number", "amount-null", "id-missing"],
)
def test_a_malformed_entity_is_a_permanent_failure_answered_200(client, order, change, reason):
    entity = payment_entity(order_id=order.razorpay_order_id, payment_id="pay_Malformed00001")
    change(entity)
    response = deliver(client, event("payment.captured", entity))
    assert response.status_code == 200 and response.json()["status"] == "failed"
    stored = WebhookEvent.objects.get()
    assert stored.last_error.startswith("payment entity") and reason in stored.last_error
    assert stored.traceback == ""
    assert_nothing_applied(order)


def test_a_payload_without_the_entity_is_a_permanent_failure_answered_200(client, order):
    envelope = payment_event(order, "payment.captured", "captured")
    envelope["payload"] = {"payment": "pay_A1b2C3d4E5f6G7"}
    response = deliver(client, envelope)
    assert response.status_code == 200 and response.json()["status"] == "failed"
    assert WebhookEvent.objects.get().last_error == "payload has no payment entity"


# --- errors of ours: 500 with the traceback inside the redelivery window ----------------------
@pytest.mark.parametrize(
    "bug",
    [KeyError("rrn"), TypeError("'NoneType' object is not subscriptable"), ValueError("bad")],
    ids=lambda exc: type(exc).__name__,
)
def test_a_bug_in_a_handler_answers_500_and_keeps_its_traceback(
    client, order, monkeypatch, caplog, bug
):
    monkeypatch.setitem(handlers.HANDLERS, "payment.captured", applies_then(bug))
    name = type(bug).__name__
    before = errors_counted(name)
    with caplog.at_level(logging.ERROR, logger="webhooks.services"):
        response = deliver(client, payment_event(order, "payment.captured", "captured"))
    assert response.status_code == 500
    assert response.json()["code"] == "webhook_processing_failed"
    stored = WebhookEvent.objects.get()
    assert stored.status == "failed" and stored.last_error.startswith(f"{name}: ")
    assert stored.traceback.startswith("Traceback (most recent call last):")
    assert "in handler" in stored.traceback and stored.traceback.rstrip().endswith(str(bug))
    assert errors_counted(name) == before + 1
    [record] = [r for r in caplog.records if r.name == "webhooks.services"]
    assert stored.event_id in record.getMessage() and record.exc_info[0] is type(bug)
    assert_nothing_applied(order)  # its writes rolled back


def test_a_database_error_answers_500_and_keeps_its_traceback(client, order, monkeypatch):
    lost = OperationalError("server closed the connection unexpectedly")
    monkeypatch.setitem(handlers.HANDLERS, "payment.captured", applies_then(lost))
    before = errors_counted("OperationalError")
    response = deliver(client, payment_event(order, "payment.captured", "captured"))
    assert response.status_code == 500
    assert response.json()["code"] == "webhook_processing_failed"
    stored = WebhookEvent.objects.get()
    assert stored.status == "failed" and "OperationalError" in stored.traceback
    assert errors_counted("OperationalError") == before + 1
    assert_nothing_applied(order)


def test_the_redelivery_after_the_fix_applies_it_and_clears_the_traceback(
    client, order, monkeypatch
):
    envelope = payment_event(order, "payment.captured", "captured")
    with monkeypatch.context() as patch:
        patch.setitem(handlers.HANDLERS, "payment.captured", buggy)
        assert deliver(client, envelope, event_id="evt_bug").status_code == 500
    again = deliver(client, envelope, event_id="evt_bug")  # the fix is deployed
    assert again.status_code == 200 and again.json()["status"] == "processed"
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts, stored.last_error, stored.traceback) == (
        "processed",
        2,
        "",
        "",
    )


def later(monkeypatch, delta: timedelta) -> None:
    """Moves the service's clock (payments_service.clock.now, as the webhooks app reads it)."""
    moment = now() + delta
    monkeypatch.setattr(services, "now", lambda: moment)


def test_a_bug_past_the_redelivery_window_answers_200_and_stays_failed_for_the_command(
    client, order, monkeypatch, settings, capsys
):
    settings.WEBHOOK_REDELIVERY_WINDOW_SECONDS = 12 * 3600
    envelope = payment_event(order, "payment.captured", "captured")
    with monkeypatch.context() as patch:
        patch.setitem(handlers.HANDLERS, "payment.captured", buggy)
        later(patch, timedelta(hours=11, minutes=59))
        assert deliver(client, envelope, event_id="evt_old").status_code == 500  # still young
        later(patch, timedelta(hours=12, minutes=1))
        before = errors_counted("KeyError")
        response = deliver(client, envelope, event_id="evt_old")  # Razorpay's late retry
        assert response.status_code == 200  # so Razorpay does not disable the endpoint
        assert response.json() == {"eventId": "evt_old", "status": "failed", "duplicate": False}
        assert errors_counted("KeyError") == before + 1  # still counted and kept
    stored = WebhookEvent.objects.get()
    assert stored.status == "failed" and stored.attempts == 2 and "KeyError" in stored.traceback
    assert_nothing_applied(order)

    call_command("process_webhooks", "--failed")  # after the fix is deployed
    assert "1 processed" in capsys.readouterr().out
    order.refresh_from_db()
    assert order.status == "captured"


def test_the_window_counts_from_razorpays_creation_of_the_event(client, order, monkeypatch):
    envelope = payment_event(order, "payment.captured", "captured")
    envelope["created_at"] -= 13 * 3600  # first delivered 13 hours after it was made
    monkeypatch.setitem(handlers.HANDLERS, "payment.captured", buggy)
    assert deliver(client, envelope).status_code == 200
    assert WebhookEvent.objects.get().status == "failed"


# --- two copies at once: a late failure never overwrites a copy's success ---------------------
def lock_waiter_seen(timeout: float = 15) -> bool:
    """From the calling thread's connection: whether another connection to the test database
    comes to wait on a lock (a row lock this connection's transaction holds) within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics are per transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.01)
    return False


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_late_failure_never_overwrites_what_a_concurrent_copy_applied(order, monkeypatch):
    entered, seen = itertools.count(), {}

    def handler(payload, *, actor):
        if next(entered) == 0:  # the first copy in holds the event's row lock
            seen["second_copy_blocked"] = lock_waiter_seen()
            handlers.apply_payment_entity(payload, actor=actor)
            raise KeyError("rrn")  # a bug, after writing: its transaction rolls back
        # The second copy took the lock as the first rolled back. Unless the first already
        # recorded its failure, hold on until that record waits for this copy's lock: then it
        # comes late, after this copy's success.
        if WebhookEvent.objects.get(event_id=actor).status == WebhookEvent.Status.PENDING:
            seen["failure_came_late"] = lock_waiter_seen()
        return handlers.apply_payment_entity(payload, actor=actor)

    monkeypatch.setitem(handlers.HANDLERS, "payment.captured", handler)
    envelope = payment_event(order, "payment.captured", "captured")
    start = threading.Barrier(2)

    def copy(_):
        start.wait(timeout=15)
        try:
            return deliver(Client(), envelope, event_id="evt_two_copies").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(copy, range(2), timeout=60))

    assert seen["second_copy_blocked"]  # both copies really overlapped
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.last_error, stored.traceback) == ("processed", "", "")
    if seen.get("failure_came_late"):  # the interleaving this test forces
        assert statuses == [200, 200] and stored.attempts == 1
    else:  # the first copy recorded its failure before the second took the lock
        assert statuses == [200, 500] and stored.attempts == 2
    order.refresh_from_db()
    assert order.status == "captured"
    assert PaymentStatusChange.objects.filter(payment=order, to_status="captured").count() == 1
    assert PaymentAttempt.objects.filter(payment=order).count() == 1


# --- which stored events a retry picks up ------------------------------------------------------
def test_a_retry_picks_pending_events_and_with_failed_the_failures_or_only_ours():
    def stored(event_id: str, status: str, traceback: str = "") -> int:
        return WebhookEvent.objects.create(
            event_id=event_id,
            event_type="payment.captured",
            body="{}",
            status=status,
            traceback=traceback,
        ).pk

    interrupted = stored("evt_interrupted", "pending")
    mismatch = stored("evt_mismatch", "failed")  # a known outcome: a retry cannot cure it
    bug = stored("evt_bug", "failed", traceback="Traceback ...\nKeyError: 'rrn'")
    stored("evt_applied", "processed")
    stored("evt_not_ours", "ignored")

    assert services.webhook_events_to_retry(failed=False) == [interrupted]
    assert services.webhook_events_to_retry(failed=True) == [interrupted, mismatch, bug]
    assert services.webhook_events_to_retry(failed=True, ours_only=True) == [interrupted, bug]
    an_hour_ago = now() - timedelta(hours=1)
    WebhookEvent.objects.filter(pk=interrupted).update(received_at=an_hour_ago)
    half_an_hour_ago = an_hour_ago + timedelta(minutes=30)
    assert services.webhook_events_to_retry(failed=True, before=half_an_hour_ago) == [interrupted]
    assert services.webhook_events_to_retry(failed=True, since=half_an_hour_ago) == [mismatch, bug]
