"""Refunds racing over real HTTP against a live server: the payment's lock keeps their sum
within the captured amount, here and at Razorpay.

On PostgreSQL only (CI runs it): SQLite serialises every write, so it cannot show a missing row
lock. The test holds the payment's row lock itself until PostgreSQL shows every request queued
behind it, then lets them all go: they overlapped by construction, and each had to take the
lock in turn (one after another, without the lock, they would all read the same sum).
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from payments_service.integrations.razorpay import get_gateway
from refunds.models import Refund
from reliability.locks import row_locked
from reliability.tests.conftest import postgres_only

pytestmark = [postgres_only, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_concurrent_refunds_of_40_percent_make_exactly_two(
    live_server, client_app, razorpay, pay
):
    payment = pay(amount=10_000)

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

    with row_locked("payments_payment", payment["id"]) as lock, ThreadPoolExecutor(10) as pool:
        sent = [pool.submit(send, index) for index in range(10)]
        waiters = lock.wait_for_waiters(10)
        # the payment's locking read (its text is cut at 1 KiB before FOR UPDATE shows)
        assert all(query.startswith('SELECT "payments_payment"') for _, query in waiters)
        lock.release()
        responses = [future.result() for future in sent]

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 2 + [409] * 8, [r.json() for r in responses]
    refused = [r.json() for r in responses if r.status_code == 409]
    assert {body["code"] for body in refused} == {"refund_exceeds_refundable"}
    assert sum(r.amount for r in Refund.objects.exclude(status="failed")) == 8_000
    at_gateway = get_gateway().payment_refunds(payment["razorpayPaymentId"])
    assert [r.amount for r in at_gateway] == [4_000, 4_000]
