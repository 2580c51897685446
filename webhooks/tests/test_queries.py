"""SQL statements per webhook delivery, pinned at the minimum the design needs (see
payments/tests/test_queries.py): Razorpay sends several events per payment."""

import pytest

from conftest import event_insert, locked
from webhooks.tests.events import deliver
from webhooks.tests.test_ingest import payment_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_first_delivery_statements(client, order, sql):
    with sql() as statements:
        assert (
            deliver(client, payment_event(order, "payment.captured", "captured")).status_code == 200
        )
    assert statements == [
        "INSERT webhooks_webhookevent",  # stored before anything is applied: one statement
        locked("webhooks_webhookevent"),  # then one transaction, holding the event's lock
        locked("payments_payment"),  # by order id
        "SELECT payments_paymentattempt",
        "INSERT payments_paymentattempt",
        "INSERT payments_paymentstatuschange",
        "UPDATE payments_payment",
        event_insert(),  # payment.captured, in the same transaction
        "UPDATE webhooks_webhookevent",  # processed, with its payment
        "COMMIT",
    ]


def test_duplicate_delivery_statements(client, order, sql):
    envelope = payment_event(order, "payment.captured", "captured")
    deliver(client, envelope, event_id="evt_twice")
    with sql() as statements:
        assert deliver(client, envelope, event_id="evt_twice").status_code == 200
    assert statements == [
        "INSERT webhooks_webhookevent",  # refused by the unique event id
        "SELECT webhooks_webhookevent",  # already processed: nothing more to do
    ]


def test_statements_for_the_same_body_under_another_event_id(client, order, sql):
    envelope = payment_event(order, "payment.captured", "captured")
    deliver(client, envelope, event_id="evt_original")
    with sql() as statements:
        response = deliver(client, envelope, event_id="evt_replayed")
    assert response.json()["duplicate"] is True
    assert statements == [
        "INSERT webhooks_webhookevent",  # refused by the unique digest of the body
        "SELECT webhooks_webhookevent",  # the stored event, by event id or digest
    ]
