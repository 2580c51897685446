"""SQL queries per refund request, pinned: a regression here costs every refund."""

import pytest

pytestmark = pytest.mark.django_db


def test_refund_create_queries(payment, refund, django_assert_num_queries):
    # Key lookup; idempotency claim (a block); the payment, as this app's; under the payment's
    # lock (a block): lock, refundable sum, refund insert; Razorpay's answer: refund lookup, then
    # under the lock again (a block): lock, refund lookup, Razorpay id update; key completion.
    with django_assert_num_queries(REFUND_CREATE_QUERIES):
        assert refund(payment["id"], amount=400).status_code == 201


def test_refund_reads_queries(api, payment, refund, django_assert_num_queries):
    refund_id = refund(payment["id"], amount=400).json()["id"]
    with django_assert_num_queries(2):  # key lookup, the refund within this app
        assert api.get(f"/refunds/{refund_id}").status_code == 200
    with django_assert_num_queries(4):  # key lookup, the payment, count, page
        assert api.get(f"/payments/{payment['id']}/refunds").status_code == 200


# Counted inside the test's transaction, where each atomic block adds SAVEPOINT and RELEASE.
REFUND_CREATE_QUERIES = 11 + 3 * 2
