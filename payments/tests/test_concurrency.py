"""Races over real HTTP against a live server: many processes' worth of threads at once.

On PostgreSQL only (CI runs them): the guarantees rest on its constraints and row locks, and
SQLite, which serialises every write, cannot show a missing lock. Each request waits at a
barrier so that all leave at once, and each test asserts an answer that only overlapping
requests produce (a 409 for a request still in flight), so it cannot pass by running them one
after another.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import INITIATE_BODY as BODY
from payments.models import Payment
from payments_service.integrations.razorpay import get_gateway
from reliability.tests.conftest import postgres_only

pytestmark = [postgres_only, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def burst(live_server, client_app, keys: list[str]) -> list[requests.Response]:
    start = threading.Barrier(len(keys))

    def send(key: str) -> requests.Response:
        start.wait(timeout=10)
        return requests.post(
            f"{live_server.url}/payments/initiate",
            json=BODY,
            headers={"Authorization": f"Bearer {client_app.api_key}", "Idempotency-Key": key},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        return list(pool.map(send, keys))


def test_twenty_concurrent_initiates_with_one_key_make_one_payment_and_one_order(
    live_server, client_app, razorpay
):
    razorpay.faults(latency_ms=300, paths=["/v1/orders"])
    responses = burst(live_server, client_app, ["same-key"] * 20)

    created = [r for r in responses if r.status_code == 201]
    in_flight = [r for r in responses if r.status_code == 409]
    assert len(created) + len(in_flight) == 20, [r.status_code for r in responses]
    assert created, "at least the first request completes"
    # One after another, every copy would be a replay (201); a 409 needs overlap.
    assert in_flight, "no copy arrived while the first was running: the race never raced"
    assert all(r.json() == created[0].json() for r in created)
    assert all(r.json()["code"] == "idempotency_key_in_use" for r in in_flight)
    assert all(r.headers["Retry-After"].isdigit() for r in in_flight)
    payment = Payment.objects.get()
    assert len(get_gateway().find_orders_by_receipt(payment.id)) == 1


def test_twenty_concurrent_initiates_for_one_external_ref_make_one_payment(
    live_server, client_app, razorpay
):
    razorpay.faults(latency_ms=300, paths=["/v1/orders"])
    responses = burst(live_server, client_app, [f"key-{i}" for i in range(20)])

    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 201, 409}, statuses
    assert statuses.count(201) == 1
    # One after another, the later ones would all find the order made (200); a 409 says a
    # request met another one still making the order.
    busy = [r.json()["code"] for r in responses if r.status_code == 409]
    assert busy and set(busy) == {"payment_in_progress"}, statuses
    payment = Payment.objects.get()
    assert {r.json().get("id", r.json().get("paymentId")) for r in responses} == {payment.id}
    assert len(get_gateway().find_orders_by_receipt(payment.id)) == 1
