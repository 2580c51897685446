import time

import pytest
from rest_framework.test import APIClient

from payments.models import Source
from refunds import services
from refunds.models import Refund


@pytest.fixture
def pay(api, razorpay):
    """A payment of the `shop` app, initiated and paid in the simulator (captured by default),
    as the API shows it."""

    def make(ref: str = "order_1", amount: int = 1000, outcome: str | None = "captured") -> dict:
        body = {"externalRef": ref, "amount": amount, "currency": "INR"}
        payment = api.post(
            "/payments/initiate", body, format="json", headers={"Idempotency-Key": f"init-{ref}"}
        ).json()
        if outcome is None:
            return payment
        handler = razorpay.pay(payment["razorpayOrderId"], outcome=outcome)
        confirmed = APIClient().post("/payments/confirm", handler, format="json")
        assert confirmed.status_code == 200, confirmed.json()
        return confirmed.json()

    return make


@pytest.fixture
def payment(pay) -> dict:
    """A captured payment of ₹10.00."""
    return pay()


@pytest.fixture
def refund(api):
    """POST /payments/{id}/refunds with an Idempotency-Key and the given body fields."""

    def send(payment_id: str, key: str = "refund-1", client=None, **body):
        return (client or api).post(
            f"/payments/{payment_id}/refunds", body, format="json", headers={"Idempotency-Key": key}
        )

    return send


def settle(refund_id: str, timeout: float = 5.0) -> Refund:
    """The refund once Razorpay has settled it (the simulator's refund delay), asking as
    `sync_refunds` does; still pending if the deadline passes first."""
    deadline = time.monotonic() + timeout
    while True:
        refund = Refund.objects.get(pk=refund_id)
        refund = services.refund_sync(refund=refund, source=Source.COMMAND)
        if refund.is_final or time.monotonic() > deadline:
            return refund
        time.sleep(0.05)


def fail_at_gateway(razorpay, razorpay_refund_id: str) -> None:
    """Razorpay fails a pending refund (the simulator's control API)."""
    response = razorpay.http.post(f"{razorpay.url}/_sim/refunds/{razorpay_refund_id}/fail")
    response.raise_for_status()
