"""SQL queries per request, pinned: a regression here costs every payment."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_initiate_queries(initiate, razorpay, django_assert_num_queries):
    # key lookup, idempotency claim, payment + history insert, order id update, key completion
    with django_assert_num_queries(INITIATE_QUERIES):
        assert initiate().status_code == 201


def test_confirm_queries(initiate, razorpay, django_assert_num_queries):
    handler = razorpay.pay(initiate().json()["razorpayOrderId"])
    # payment by order id, then under lock: payment, attempt read + insert, history, update
    with django_assert_num_queries(CONFIRM_QUERIES):
        assert APIClient().post("/payments/confirm", handler, format="json").status_code == 200


def test_get_queries(api, initiate, razorpay, django_assert_num_queries):
    payment_id = initiate().json()["id"]
    with django_assert_num_queries(2):  # key lookup, payment with its app
        assert api.get(f"/payments/{payment_id}").status_code == 200


# Counted inside the test's transaction, where each atomic block adds SAVEPOINT and RELEASE:
# initiate is 6 statements and 2 blocks, confirm 6 statements and 1 block.
INITIATE_QUERIES = 6 + 2 * 2
CONFIRM_QUERIES = 6 + 1 * 2
