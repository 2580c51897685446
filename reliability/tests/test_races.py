"""Races made on purpose, on PostgreSQL: the racers are held behind a row lock the test owns
until PostgreSQL shows them all waiting on it, then released at once (reliability/locks.py).
The chaos run meets these races only by chance."""

import json
import threading

import pytest
from django.db import connections

from conftest import SIM_WEBHOOK_SECRET
from payments.models import Payment, PaymentAttempt, PaymentStatusChange
from razorpay_simulator.webhooks import sign
from reliability.invariants import assert_invariants
from reliability.locks import row_locked
from reliability.tests.conftest import postgres_only
from webhooks.models import WebhookEvent

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def run_together(**calls):
    """Runs each call in a thread of its own, released by one barrier; {name: thread}, with
    each thread's `.result` (or `.error`) once joined."""
    barrier = threading.Barrier(len(calls))
    threads = {}
    for name, call in calls.items():

        def run(thread_call=call):
            thread = threading.current_thread()
            try:
                barrier.wait(timeout=30)
                thread.result = thread_call()
            except BaseException as exc:  # reported by the test, not lost in the thread
                thread.error = exc
            finally:  # back to the pool, as a request's end hands it back
                connections.close_all()

        threads[name] = threading.Thread(target=run, name=f"race-{name}", daemon=True)
        threads[name].result = threads[name].error = None
    for thread in threads.values():
        thread.start()
    return threads


def joined(threads, timeout: float = 60):
    results = {}
    for name, thread in threads.items():
        thread.join(timeout)
        assert not thread.is_alive(), f"{name} did not finish"
        if thread.error is not None:
            raise thread.error
        results[name] = thread.result
    return results


def captured_webhook(sim, payment_id: str) -> tuple[str, bytes]:
    """The simulator's `payment.captured` event of the payment: its id and signed body, as
    Razorpay would post it (the simulator logs it; no webhook URL, so it is never sent)."""
    (item,) = [
        item
        for item in sim.webhooks()
        if item["event"] == "payment.captured"
        and item["payload"]["payload"]["payment"]["entity"]["id"] == payment_id
    ]
    return item["event_id"], json.dumps(item["payload"], separators=(",", ":")).encode()


def test_confirm_and_the_captured_webhook_racing_on_one_payment_capture_it_once(shop, sim):
    initiated = shop.initiate(key="race-1", externalRef="race-1")
    assert initiated.status_code == 201, initiated.text
    payment_id = initiated.json()["id"]
    handler = sim.pay(initiated.json()["razorpayOrderId"], outcome="captured")
    event_id, body = captured_webhook(sim, handler["razorpay_payment_id"])
    webhook_headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Event-Id": event_id,
        "X-Razorpay-Signature": sign(SIM_WEBHOOK_SECRET, body),
    }

    with row_locked("payments_payment", payment_id) as lock:
        threads = run_together(
            confirm=lambda: shop.confirm(handler),
            webhook=lambda: shop.request(
                "POST", "/webhooks/razorpay", auth=False, data=body, headers=webhook_headers
            ),
        )
        # Only contention shows this: both requests, each in its own backend, queued on the
        # payment's row lock (confirm's gateway call is over; the event is stored).
        waiters = lock.wait_for_waiters(2)
        lock.release()
        answers = joined(threads)

    assert len(waiters) == 2
    # the payment's locking read (pg_stat_activity cuts its text at 1 KiB, before FOR UPDATE)
    assert all(query.startswith('SELECT "payments_payment"') for _, query in waiters), waiters
    confirm, webhook = answers["confirm"], answers["webhook"]
    assert (confirm.status_code, confirm.json()["status"]) == (200, "captured"), confirm.text
    assert webhook.status_code == 200, webhook.text
    assert webhook.json() == {"eventId": event_id, "status": "processed", "duplicate": False}

    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.razorpay_payment_id) == (
        "captured",
        handler["razorpay_payment_id"],
    )
    trail = PaymentStatusChange.objects.filter(payment=payment)
    assert [(c.from_status, c.to_status) for c in trail] == [
        ("", "created"),
        ("created", "captured"),
    ]
    attempts = PaymentAttempt.objects.filter(payment=payment)
    assert [(a.razorpay_payment_id, a.status) for a in attempts] == [
        (handler["razorpay_payment_id"], "captured")
    ]
    event = WebhookEvent.objects.get(event_id=event_id)
    assert (event.status, event.attempts, event.payment_id) == ("processed", 1, payment_id)
    assert_invariants()
