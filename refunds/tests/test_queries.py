"""SQL statements per refund request, pinned at the minimum the design needs: a regression here
costs every refund. Counted as production runs them (see payments/tests/test_queries.py)."""

import pytest

from conftest import event_insert, locked

pytestmark = pytest.mark.django_db(transaction=True)


def test_refund_create_statements(payment, refund, sql):
    with sql() as statements:
        assert refund(payment["id"], amount=400).status_code == 201
    assert statements == [
        "INSERT payments_service_idempotencykey",  # the claim
        "SELECT payments_payment",  # the payment, as the caller's
        locked("payments_payment"),  # reserve the amount under the payment's lock
        "SELECT refunds_refund",  # what its refunds already hold
        "INSERT refunds_refund",  # pending
        "UPDATE payments_service_idempotencykey",  # the claim's recovery point: this refund
        event_insert(),  # refund.created, in the same transaction
        "COMMIT",
        # (the gateway: create the refund, its idempotency key = our refund id)
        "SELECT refunds_refund",  # Razorpay's answer is matched to ours...
        locked("payments_payment"),
        "SELECT refunds_refund",  # ...and again under the lock (a webhook may have raced)
        "UPDATE refunds_refund",  # its Razorpay id and status
        "COMMIT",
        "UPDATE payments_service_idempotencykey",  # the stored answer
    ]


def test_refund_reads_statements(api, payment, refund, sql):
    refund_id = refund(payment["id"], amount=400).json()["id"]
    with sql() as statements:
        assert api.get(f"/refunds/{refund_id}").status_code == 200
    assert statements == ["SELECT refunds_refund"]  # within the caller's app
    with sql() as statements:
        assert api.get(f"/payments/{payment['id']}/refunds").status_code == 200
    assert statements == [
        "SELECT payments_payment",  # the caller's
        "SELECT refunds_refund",  # count
        "SELECT refunds_refund",  # the page
    ]
