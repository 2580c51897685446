"""Webhooks over real HTTP: many copies at once, and the simulator delivering them itself."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rest_framework.test import APIClient

from conftest import INITIATE_BODY, SIM_WEBHOOK_SECRET
from payments.models import Payment, PaymentAttempt, PaymentStatusChange
from webhooks.models import WebhookEvent
from webhooks.tests.events import event, payment_entity, sign

pytestmark = pytest.mark.django_db(transaction=True)


def initiated_payment(client_app) -> Payment:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    response = client.post(
        "/payments/initiate", INITIATE_BODY, format="json", headers={"Idempotency-Key": "k"}
    )
    return Payment.objects.get(pk=response.json()["id"])


def wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_fifty_concurrent_copies_of_one_event_are_applied_once(live_server, client_app, razorpay):
    payment = initiated_payment(client_app)
    entity = payment_entity(order_id=payment.razorpay_order_id, payment_id="pay_Concurrent0001")
    body = json.dumps(event("payment.captured", entity)).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": sign(body),
        "X-Razorpay-Event-Id": "evt_Concurrent001",
    }

    def send(_):
        return requests.post(
            f"{live_server.url}/webhooks/razorpay", data=body, headers=headers, timeout=30
        )

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(send, range(50)))

    assert {r.status_code for r in responses} == {200}
    assert {r.json()["status"] for r in responses} == {"processed"}
    stored = WebhookEvent.objects.get()
    assert stored.attempts == 1
    assert PaymentStatusChange.objects.filter(payment=payment, to_status="captured").count() == 1
    assert PaymentAttempt.objects.filter(payment=payment).count() == 1


def test_concurrent_copies_of_one_body_under_different_event_ids_are_stored_and_applied_once(
    live_server, client_app, razorpay
):
    payment = initiated_payment(client_app)
    entity = payment_entity(order_id=payment.razorpay_order_id, payment_id="pay_Replayed000001")
    body = json.dumps(event("payment.captured", entity)).encode()
    start = threading.Barrier(20)

    def send(n):
        headers = {
            "Content-Type": "application/json",
            "X-Razorpay-Signature": sign(body),
            "X-Razorpay-Event-Id": f"evt_Copy{n:02d}",
        }
        start.wait(timeout=30)
        return requests.post(
            f"{live_server.url}/webhooks/razorpay", data=body, headers=headers, timeout=30
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))

    assert {r.status_code for r in responses} == {200}
    [stored] = WebhookEvent.objects.all()
    assert stored.attempts == 1 and stored.status == "processed"
    assert [r.json()["duplicate"] for r in responses].count(False) == 1  # the one stored
    assert {r.json()["eventId"] for r in responses} == {stored.event_id}
    assert PaymentStatusChange.objects.filter(payment=payment, to_status="captured").count() == 1
    assert PaymentAttempt.objects.filter(payment=payment).count() == 1


@pytest.mark.parametrize("outcome", ["captured", "authorized", "failed"])
def test_simulator_webhooks_after_a_payment_bring_the_payment_to_its_state(
    live_server, client_app, razorpay, outcome
):
    razorpay.configure(
        webhook_url=f"{live_server.url}/webhooks/razorpay", webhook_secret=SIM_WEBHOOK_SECRET
    )
    payment = initiated_payment(client_app)
    razorpay.pay(payment.razorpay_order_id, outcome=outcome)  # and nobody calls confirm

    def settled():
        payment.refresh_from_db()
        return payment.status == outcome

    wait_for(settled)
    sent = wait_for(lambda: [w for w in razorpay.webhooks() if w["status"] == "delivered"])
    stored = set(WebhookEvent.objects.values_list("event_id", flat=True))
    assert {w["event_id"] for w in sent} <= stored
    expected = {
        "captured": {"payment.authorized", "payment.captured", "order.paid"},
        "authorized": {"payment.authorized"},
        "failed": {"payment.failed"},
    }[outcome]
    wait_for(
        lambda: (
            set(WebhookEvent.objects.values_list("event_type", "status"))
            == {(event_type, "processed") for event_type in expected}
        )
    )


def test_simulator_duplicates_and_reordering_end_captured_once(live_server, client_app, razorpay):
    razorpay.configure(
        webhook_url=f"{live_server.url}/webhooks/razorpay", webhook_secret=SIM_WEBHOOK_SECRET
    )
    razorpay.faults(webhook_duplicates=3, webhook_reorder=True)
    payment = initiated_payment(client_app)
    razorpay.pay(payment.razorpay_order_id, outcome="captured")
    wait_for(lambda: sum(w["status"] == "delivered" for w in razorpay.webhooks()) >= 12)
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert WebhookEvent.objects.count() == 3
    assert PaymentStatusChange.objects.filter(payment=payment, to_status="captured").count() == 1
