"""Refunds racing over real HTTP against a live server: the payment's lock keeps their sum
within the captured amount, here and at Razorpay.

On PostgreSQL in CI (row locks); on SQLite the same guarantee comes from IMMEDIATE
transactions, and the test runs there too.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from payments_service.integrations.razorpay import get_gateway
from refunds.models import Refund

pytestmark = pytest.mark.django_db(transaction=True)


def test_ten_concurrent_refunds_of_40_percent_make_exactly_two(
    live_server, client_app, razorpay, pay
):
    payment = pay(amount=10_000)
    razorpay.faults(latency_ms=100, paths=["/v1/payments"], methods=["POST"])

    def send(index: int) -> requests.Response:
        return requests.post(
            f"{live_server.url}/payments/{payment['id']}/refunds",
            json={"amount": 4_000},
            headers={
                "Authorization": f"Bearer {client_app.api_key}",
                "Idempotency-Key": f"race-{index}",
            },
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(send, range(10)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 2 + [409] * 8, [r.json() for r in responses]
    refused = [r.json() for r in responses if r.status_code == 409]
    assert {body["code"] for body in refused} == {"refund_exceeds_refundable"}
    assert sum(r.amount for r in Refund.objects.exclude(status="failed")) == 8_000
    at_gateway = get_gateway().payment_refunds(payment["razorpayPaymentId"])
    assert [r.amount for r in at_gateway] == [4_000, 4_000]
