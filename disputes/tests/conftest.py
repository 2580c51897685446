import pytest
from rest_framework.test import APIClient

from payments.models import Payment


class Disputes:
    """Razorpay's side of disputes, through the simulator's control API."""

    def __init__(self, razorpay):
        self.razorpay = razorpay

    def open(self, razorpay_payment_id: str, **body) -> dict:
        return self.razorpay._post(f"/_sim/payments/{razorpay_payment_id}/dispute", body)

    def resolve(self, dispute_id: str, outcome: str) -> dict:
        return self.razorpay._post(f"/_sim/disputes/{dispute_id}/resolve", {"outcome": outcome})

    def webhooks(self) -> list[dict]:
        """The dispute events Razorpay made so far, oldest first: (event id, envelope)."""
        return [
            (w["event_id"], w["payload"])
            for w in self.razorpay.webhooks()
            if w["event"].startswith("payment.dispute.")
        ]


@pytest.fixture
def disputes(razorpay) -> Disputes:
    return Disputes(razorpay)


@pytest.fixture
def paid(initiate, razorpay) -> Payment:
    """A ₹10.00 payment the customer paid and the service captured (confirm)."""
    body = initiate().json()
    handler = razorpay.pay(body["razorpayOrderId"], outcome="captured")
    assert APIClient().post("/payments/confirm", handler, format="json").status_code == 200
    return Payment.objects.get(pk=body["id"])
