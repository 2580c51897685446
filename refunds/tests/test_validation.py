"""Bad refund requests get a clear 4xx, reserve nothing and leave the key free for a retry."""

import pytest

from clients.models import IdempotencyKey
from refunds.models import Refund

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "400"}, "amount"),
        ({"amount": 400.0}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -100}, "amount"),
        ({"amount": None}, "amount"),
        ({"reason": "r" * 256}, "reason"),
        ({"speed": "instant"}, "speed"),
        ({"notes": {"n": 5}}, "notes"),
        ({"notes": {f"k{i}": "v" for i in range(14)}}, "notes"),
        ({"amout": 400}, "amout"),
    ],
)
def test_invalid_field_is_400_naming_it(payment, refund, body, field):
    response = refund(payment["id"], **body)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"], response.json()["errors"]
    assert not Refund.objects.exists()
    assert not IdempotencyKey.objects.filter(operation__startswith="refunds.").exists()


def test_refund_of_unpaid_payment_is_409(pay, refund):
    unpaid = pay(outcome=None)
    response = refund(unpaid["id"], amount=400)
    assert response.status_code == 409
    assert response.json()["code"] == "payment_not_refundable"
    assert response.json()["paymentStatus"] == "created"


def test_refund_of_authorized_only_payment_is_409(pay, refund, razorpay):
    unpaid = pay(outcome=None)
    razorpay.pay(unpaid["razorpayOrderId"], outcome="authorized")  # never confirmed
    assert refund(unpaid["id"], amount=400).json()["code"] == "payment_not_refundable"


def test_more_than_the_payment_is_409(payment, refund):
    response = refund(payment["id"], amount=1001)
    assert response.status_code == 409
    assert response.json()["code"] == "refund_exceeds_refundable"
    assert response.json()["refundable"] == 1000


def test_below_the_minimum_is_400_on_the_amount(payment, refund):
    response = refund(payment["id"], amount=99)
    assert response.status_code == 400
    assert response.json()["code"] == "refund_amount_too_small"
    assert response.json()["errors"] == {"amount": ["At least 100 (minor units of INR)."]}
    assert not Refund.objects.exists()


def test_amount_beyond_the_refundable_rest_is_409_before_the_minimum_check(payment, refund):
    assert refund(payment["id"], key="r1", amount=950).status_code == 201
    response = refund(payment["id"], key="r2", amount=99)  # too small AND more than the 50 left
    assert response.status_code == 409
    assert response.json()["code"] == "refund_exceeds_refundable"
    assert response.json()["refundable"] == 50
    # Nothing given: the 50 left is below Razorpay's minimum.
    assert refund(payment["id"], key="r3").json()["code"] == "refund_amount_too_small"


def test_failed_validation_frees_the_key_for_a_corrected_retry(payment, refund):
    assert refund(payment["id"], key="k", amount=99).status_code == 400
    assert refund(payment["id"], key="k", amount=100).status_code == 201
