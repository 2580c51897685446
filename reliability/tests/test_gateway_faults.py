"""Razorpay slow, silent or failing (the simulator's API faults): the client gets 504 or 502
with Retry-After, nothing is left half-done, and the retry completes the same operation once."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from clients.models import IdempotencyKey
from payments.models import Payment, PaymentAttempt, PaymentStatusChange
from payments_service.integrations.razorpay import get_gateway
from refunds.models import Refund
from reliability.clients import assert_problem
from reliability.invariants import assert_invariants
from reliability.waiting import wait_until

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(90)]

ORDERS = {"paths": ["/v1/orders"], "methods": ["POST"]}
PAYMENT_WRITES = {"paths": ["/v1/payments"], "methods": ["POST"]}  # capture and refund


def confirm(handler: dict):
    return APIClient().post("/payments/confirm", handler, format="json")


def only_payment() -> Payment:
    return Payment.objects.get()


def assert_nothing_half_done(payment: Payment) -> None:
    """The row written before the gateway call stays, unlinked and unclaimed, with no trace of
    the failed call: no key stored, no transition beyond `created`."""
    payment.refresh_from_db()
    assert (payment.status, payment.razorpay_order_id) == ("created", None)
    assert payment.order_claimed_until is None
    assert not IdempotencyKey.objects.exists()
    assert list(PaymentStatusChange.objects.values_list("to_status", flat=True)) == ["created"]


@pytest.fixture
def captured(initiate, sim) -> Payment:
    """A payment paid and confirmed through the API (no faults yet)."""
    order_id = initiate(key="pay").json()["razorpayOrderId"]
    assert confirm(sim.pay(order_id, outcome="captured")).json()["status"] == "captured"
    return only_payment()


# --- initiate --------------------------------------------------------------------------------
def test_initiate_whose_order_is_made_too_late_answers_504_and_the_retry_links_that_order(
    initiate, faults
):
    faults(latency_ms=1500, **ORDERS)  # Razorpay makes the order after 1.5 s

    body = assert_problem(initiate(key="k"), 504, "gateway_timeout")
    assert body["detail"]
    payment = only_payment()
    assert_nothing_half_done(payment)
    late = wait_until(
        lambda: get_gateway().find_orders_by_receipt(payment.id),
        timeout=10,
        what="the order whose answer was lost to appear at Razorpay",
    )
    faults.end()

    retry = initiate(key="k")
    assert retry.status_code == 201, retry.json()
    assert retry.json()["id"] == payment.id
    assert retry.json()["razorpayOrderId"] == late[0].id  # found by receipt, not made again
    assert initiate(key="k").headers["Idempotent-Replayed"] == "true"
    assert_invariants()


def test_initiate_whose_request_razorpay_never_answers_gets_504_and_the_retry_makes_one_order(
    initiate, faults
):
    faults(timeout_rate=1, hang_seconds=1.5, **ORDERS)  # swallowed: no order

    response = initiate(key="k")
    assert_problem(response, 504, "gateway_timeout")
    assert response.headers["Retry-After"].isdigit()
    payment = only_payment()
    assert_nothing_half_done(payment)
    faults.end()

    retry = initiate(key="k")
    assert retry.status_code == 201, retry.json()
    assert retry.json()["id"] == payment.id
    assert len(get_gateway().find_orders_by_receipt(payment.id)) == 1
    assert_invariants()


@pytest.mark.parametrize(
    ("gateway_status", "body", "status", "code"),
    [
        (500, "json", 502, "gateway_unavailable"),
        (502, "json", 502, "gateway_unavailable"),
        (503, "html", 502, "gateway_unavailable"),  # a load balancer's page, not JSON
        (504, "json", 504, "gateway_timeout"),
    ],
)
def test_initiate_during_a_gateway_error_burst_fails_cleanly_and_the_retry_completes_it(
    initiate, sim, gateway_status, body, status, code
):
    sim.faults(error_rate=1, error_status=gateway_status, error_body=body)

    response = initiate(key="k")
    assert_problem(response, status, code)
    assert int(response.headers["Retry-After"]) >= 1
    payment = only_payment()
    assert_nothing_half_done(payment)
    sim.faults()
    assert get_gateway().find_orders_by_receipt(payment.id) == []

    retry = initiate(key="k")
    assert (retry.status_code, retry.json()["id"]) == (201, payment.id)
    assert_invariants()


def test_initiates_while_half_of_gateway_calls_fail_each_end_with_exactly_one_order(initiate, sim):
    sim.faults(error_rate=0.5, error_status=502, seed=7)
    first = [initiate(key=f"k{i}", externalRef=f"burst-{i}") for i in range(12)]
    statuses = [r.status_code for r in first]
    assert set(statuses) == {201, 502}, statuses  # the seed gives a mix

    for i, response in enumerate(first):
        if response.status_code == 502:
            assert_problem(response, 502, "gateway_unavailable")
            for _ in range(20):  # the burst goes on: the client keeps retrying
                retry = initiate(key=f"k{i}", externalRef=f"burst-{i}")
                if retry.status_code != 502:
                    break
            assert retry.status_code == 201, retry.json()
    sim.faults()
    assert Payment.objects.count() == 12
    assert_invariants()


# --- confirm ---------------------------------------------------------------------------------
def test_confirm_during_a_capture_outage_answers_502_changes_nothing_and_the_retry_captures(
    initiate, sim
):
    order_id = initiate(key="k").json()["razorpayOrderId"]
    handler = sim.pay(order_id, outcome="authorized")
    sim.faults(error_rate=1, error_status=503, **PAYMENT_WRITES)

    assert_problem(confirm(handler), 502, "gateway_unavailable")
    payment = only_payment()
    assert payment.status == "created"
    assert not PaymentAttempt.objects.exists()
    assert get_gateway().fetch_payment(handler["razorpay_payment_id"]).status == "authorized"
    sim.faults()

    assert confirm(handler).json()["status"] == "captured"
    assert_invariants()


def test_confirm_whose_capture_answer_is_lost_answers_504_and_the_retry_sees_it_captured(
    initiate, sim, faults
):
    order_id = initiate(key="k").json()["razorpayOrderId"]
    handler = sim.pay(order_id, outcome="authorized")
    faults(latency_ms=1000, **PAYMENT_WRITES)  # captured after the timeout

    assert_problem(confirm(handler), 504, "gateway_timeout")
    assert only_payment().status == "created"
    wait_until(
        lambda: get_gateway().fetch_payment(handler["razorpay_payment_id"]).captured,
        timeout=10,
        what="the capture whose answer was lost to happen at Razorpay",
    )
    faults.end()

    assert confirm(handler).json()["status"] == "captured"
    assert PaymentStatusChange.objects.filter(to_status="captured").count() == 1
    assert_invariants()


# --- refunds ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fault",
    [
        {"error_rate": 1, "error_status": 502},  # never reaches Razorpay
        {"latency_ms": 1000},  # made at Razorpay, the answer lost to the timeout
    ],
    ids=["outage", "lost-answer"],
)
def test_refund_the_gateway_fails_stays_pending_and_sync_refunds_settles_it_once(
    api, captured, faults, fault
):
    faults(**fault, **PAYMENT_WRITES)
    response = api.post(
        f"/payments/{captured.id}/refunds",
        {"amount": 400},
        format="json",
        headers={"Idempotency-Key": "r1"},
    )
    assert response.status_code == 201, response.json()  # reserved; Razorpay settles it later
    assert response.json()["status"] == "pending"
    refund = Refund.objects.get()
    assert refund.razorpay_refund_id is None
    more = api.post(
        f"/payments/{captured.id}/refunds",
        {"amount": 700},
        format="json",
        headers={"Idempotency-Key": "r2"},
    )
    assert_problem(more, 409, "refund_exceeds_refundable")  # the pending 400 still counts
    faults.end()

    def settled() -> bool:
        call_command("sync_refunds", stdout=StringIO(), stderr=StringIO())
        refund.refresh_from_db()
        return refund.status == "processed"

    wait_until(settled, timeout=10, what="sync_refunds to settle the refund")
    assert len(get_gateway().payment_refunds(captured.razorpay_payment_id)) == 1
    captured.refresh_from_db()
    assert (captured.status, captured.amount_refunded) == ("partially_refunded", 400)
    assert_invariants()
