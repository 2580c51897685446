"""Razorpay does not order its deliveries: any order, with any duplicates, must end where
in-order delivery ends."""

import itertools
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments.models import RANK, Payment, PaymentAttempt
from webhooks.tests.events import deliver, event, order_entity, payment_entity

pytestmark = pytest.mark.django_db

# (event, attempt, the attempt's status in the snapshot, the payment status it implies):
# attempt A failed, then the customer paid with attempt B on the same order.
EVENTS = {
    "A.failed": ("payment.failed", "A", "failed", "failed"),
    "B.authorized": ("payment.authorized", "B", "authorized", "authorized"),
    "B.captured": ("payment.captured", "B", "captured", "captured"),
    "B.order.paid": ("order.paid", "B", "captured", "captured"),
}


def attempt_id(payment: Payment, attempt: str) -> str:
    return f"pay_{attempt}{payment.pk[-13:]}"


def new_payment(client_app) -> Payment:
    return Payment.objects.create(
        client_app=client_app,
        external_ref=uuid.uuid4().hex,
        amount=1000,
        currency="INR",
        razorpay_order_id=f"order_{uuid.uuid4().hex[:14]}",
    )


def deliver_all(client, payment: Payment, names) -> None:
    for name in names:
        kind, attempt, status, _ = EVENTS[name]
        entity = payment_entity(
            order_id=payment.razorpay_order_id,
            payment_id=attempt_id(payment, attempt),
            status=status,
        )
        extra = {"order": order_entity(payment.razorpay_order_id)} if kind == "order.paid" else {}
        # one event id per logical event: repeats below are redeliveries
        response = deliver(client, event(kind, entity, **extra), event_id=f"{payment.pk}-{name}")
        assert response.status_code == 200


def final_state(payment: Payment) -> tuple:
    """Status, the paid attempt and each attempt's status, with ids named by letter."""
    payment.refresh_from_db()
    letter = {attempt_id(payment, a): a for a in "AB"}
    attempts = {
        letter[pay_id]: status
        for pay_id, status in PaymentAttempt.objects.filter(payment=payment).values_list(
            "razorpay_payment_id", "status"
        )
    }
    return payment.status, letter.get(payment.razorpay_payment_id, ""), attempts


@pytest.mark.parametrize(
    "names", list(itertools.permutations(["B.authorized", "B.captured", "B.order.paid"]))
)
def test_every_order_of_a_successful_payments_events_ends_captured(
    client, client_app, razorpay, names
):
    in_order, shuffled = new_payment(client_app), new_payment(client_app)
    deliver_all(client, in_order, ["B.authorized", "B.captured", "B.order.paid"])
    deliver_all(client, shuffled, names)
    expected = ("captured", "B", {"B": "captured"})
    assert final_state(shuffled) == final_state(in_order) == expected


@pytest.mark.parametrize("names", list(itertools.permutations(EVENTS)))
def test_every_order_of_a_failed_then_successful_attempt_ends_captured(
    client, client_app, razorpay, names
):
    payment = new_payment(client_app)
    deliver_all(client, payment, names)
    assert final_state(payment) == ("captured", "B", {"A": "failed", "B": "captured"})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(st.sampled_from(sorted(EVENTS)), min_size=1, max_size=8))
def test_any_sequence_with_duplicates_ends_in_the_furthest_state_delivered(
    client, client_app, razorpay, names
):
    payment = new_payment(client_app)
    deliver_all(client, payment, names)
    status, paid_id, attempts = final_state(payment)
    implied = [EVENTS[name][3] for name in names]
    assert status == max(implied, key=RANK.__getitem__)
    assert paid_id == ("B" if any(n.startswith("B.") for n in names) else "")
    assert set(attempts) == {EVENTS[name][1] for name in names}
