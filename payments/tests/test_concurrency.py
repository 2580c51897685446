"""Races over real HTTP against a live server: many processes' worth of threads at once.

On PostgreSQL in CI (the production database); on SQLite the same guarantees come from
IMMEDIATE transactions, and the tests run there too.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import INITIATE_BODY as BODY
from payments.models import Payment
from payments_service.integrations.razorpay import get_gateway

pytestmark = pytest.mark.django_db(transaction=True)


def burst(live_server, client_app, keys: list[str]) -> list[requests.Response]:
    def send(key: str) -> requests.Response:
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
    payment = Payment.objects.get()
    assert {r.json().get("id", r.json().get("paymentId")) for r in responses} == {payment.id}
    assert len(get_gateway().find_orders_by_receipt(payment.id)) == 1
