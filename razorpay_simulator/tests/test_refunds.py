"""Refunds: the rules of §1.5, idempotency (§5), settlement, and the payment's refund fields."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import razorpay
import requests

from .support import KEY_ID, KEY_SECRET, REFUND_ID, fixture, rejected, wait_until

REFUND_KEYS = {
    "id",
    "entity",
    "amount",
    "currency",
    "payment_id",
    "notes",
    "receipt",
    "acquirer_data",
    "created_at",
    "batch_id",
    "status",
    "speed_processed",
    "speed_requested",
}


def _status(client, refund_id):
    return client.refund.fetch(refund_id)["status"]


def test_refund_entity_and_settlement(client, captured):
    refund = client.payment.refund(
        captured["id"], {"amount": 10000, "notes": {"why": "damaged"}, "receipt": "R-1"}
    )

    assert set(refund) == REFUND_KEYS
    assert REFUND_ID.match(refund["id"])
    assert (refund["entity"], refund["amount"], refund["currency"]) == ("refund", 10000, "INR")
    assert (refund["payment_id"], refund["receipt"]) == (captured["id"], "R-1")
    assert refund["notes"] == {"why": "damaged"}
    assert (refund["acquirer_data"], refund["batch_id"]) == ({"arn": None}, None)
    assert (refund["status"], refund["speed_requested"], refund["speed_processed"]) == (
        "pending",
        "normal",
        "normal",
    )
    assert set(fixture("fake_refund.json")) <= set(refund)
    for item in fixture("refund_collection.json")["items"]:
        assert set(item) <= set(refund)
    payment = client.payment.fetch(captured["id"])
    assert (payment["amount_refunded"], payment["refund_status"]) == (10000, "partial")
    assert payment["status"] == "captured"

    wait_until(lambda: _status(client, refund["id"]) == "processed", timeout=3)


def test_full_refund_by_default_marks_the_payment_refunded(client, captured):
    refund = client.payment.refund(captured["id"], {})

    assert refund["amount"] == 50000
    payment = client.payment.fetch(captured["id"])
    assert (payment["status"], payment["refund_status"], payment["amount_refunded"]) == (
        "refunded",
        "full",
        50000,
    )
    with rejected("The payment has been fully refunded already"):
        client.payment.refund(captured["id"], {"amount": 100})


def test_partial_refunds_add_up(client, captured):
    client.payment.refund(captured["id"], {"amount": 20000})
    client.payment.refund(captured["id"], {"amount": 20000})

    with rejected("The refund amount provided is greater than the unrefunded amount"):
        client.payment.refund(captured["id"], {"amount": 10001})
    with rejected("The refund amount provided is greater than amount captured"):
        client.payment.refund(captured["id"], {"amount": 50001})
    last = client.payment.refund(captured["id"])  # the rest
    assert last["amount"] == 10000
    assert client.payment.fetch(captured["id"])["refund_status"] == "full"


def test_minimum_refund_is_one_rupee_except_instant(client, captured):
    with rejected("The amount must be at least INR 1.00"):
        client.payment.refund(captured["id"], {"amount": 99})

    instant = client.payment.refund(captured["id"], {"amount": 50, "speed": "optimum"})

    assert (instant["speed_requested"], instant["speed_processed"]) == ("optimum", "instant")


def test_amount_check_comes_before_the_minimum(client, captured):
    client.payment.refund(captured["id"], {"amount": 49950})

    with rejected("The refund amount provided is greater than the unrefunded amount"):
        client.payment.refund(captured["id"], {"amount": 99})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"amount": 10.5}, "The amount must be an integer."),
        ({"speed": "fast"}, "The selected speed is invalid."),
        ({"receipt": "r" * 41}, "The receipt may not be greater than 40 characters."),
        ({"notes": {"a": {"b": 1}}}, "Notes values themselves should not be an array"),
        ({"reason": "x"}, "reason is/are not required and should not be sent"),
    ],
)
def test_invalid_refund_is_rejected(client, captured, body, message):
    with rejected(message):
        client.payment.refund(captured["id"], body)


def test_only_captured_payments_can_be_refunded(client, control, order):
    payment_id = control.pay(order["id"], "authorized")["razorpay_payment_id"]

    with rejected("The payment status should be captured for action to be taken"):
        client.payment.refund(payment_id, {})
    with rejected("The id provided does not exist"):
        client.payment.refund("pay_00000000000000", {})


def test_same_idempotency_key_and_body_returns_the_same_refund(client, captured):
    headers = {"X-Refund-Idempotency": "refund-0001-abcdef"}

    first = client.payment.refund(captured["id"], {"amount": 1000}, headers=dict(headers))
    again = client.payment.refund(captured["id"], {"amount": 1000}, headers=dict(headers))

    assert again["id"] == first["id"]
    assert client.payment.fetch(captured["id"])["amount_refunded"] == 1000
    assert client.payment.fetch_multiple_refund(captured["id"])["count"] == 1


def test_same_idempotency_key_with_a_different_body_is_409(sim, client, captured):
    headers = {"X-Refund-Idempotency": "refund-0002-abcdef"}
    client.payment.refund(captured["id"], {"amount": 1000}, headers=dict(headers))

    with rejected("Different request with the same idempotency key has already been processed."):
        client.payment.refund(captured["id"], {"amount": 2000}, headers=dict(headers))
    response = requests.post(
        f"{sim.url}/v1/payments/{captured['id']}/refund",
        json={"amount": 2000},
        headers=headers,
        auth=(KEY_ID, KEY_SECRET),
        timeout=5,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "BAD_REQUEST_ERROR"


@pytest.mark.parametrize("key", ["short", "has spaces in it", "ünïcødé-keys-1"])
def test_malformed_idempotency_key_is_400(client, captured, key):
    with pytest.raises(razorpay.errors.BadRequestError, match="X-Refund-Idempotency"):
        client.payment.refund(captured["id"], {}, headers={"X-Refund-Idempotency": key})
    assert client.payment.fetch(captured["id"])["amount_refunded"] == 0


def test_refund_create_with_payment_id_in_body(client, captured):
    refund = client.refund.create({"payment_id": captured["id"], "amount": 500})

    assert refund["payment_id"] == captured["id"]
    with rejected("The payment id field is required."):
        client.refund.create({"amount": 500})


def test_refund_fetch_endpoints(client, captured):
    refund = client.payment.refund(captured["id"], {"amount": 500})
    other = client.payment.refund(captured["id"], {"amount": 600})

    assert client.refund.fetch(refund["id"])["id"] == refund["id"]
    assert client.payment.fetch_refund_id(captured["id"], refund["id"])["id"] == refund["id"]
    listed = client.payment.fetch_multiple_refund(captured["id"], {"count": 10})
    assert [r["id"] for r in listed["items"]] == [other["id"], refund["id"]]
    assert [r["id"] for r in client.refund.all({"count": 1})["items"]] == [other["id"]]
    expanded = client.payment.fetch(captured["id"], {"expand[]": "refunds"})
    assert expanded["refunds"]["count"] == 2
    with rejected("rfnd_x is not a valid id"):
        client.refund.fetch("rfnd_x")


def test_refund_of_another_payment_is_not_found_under_this_one(client, control, captured):
    refund = client.payment.refund(captured["id"], {"amount": 500})
    second = client.order.create({"amount": 1000, "currency": "INR"})
    other_payment = control.pay(second["id"])["razorpay_payment_id"]

    with rejected("The id provided does not exist"):
        client.payment.fetch_refund_id(other_payment, refund["id"])


def test_edit_refund_notes(client, captured):
    refund = client.payment.refund(captured["id"], {"amount": 500})

    assert client.refund.edit(refund["id"], {"notes": {"a": "b"}})["notes"] == {"a": "b"}


def test_failing_a_pending_refund_releases_its_amount(client, control, captured):
    refund = client.payment.refund(captured["id"], {})
    assert client.payment.fetch(captured["id"])["status"] == "refunded"

    failed = control.post(f"/_sim/refunds/{refund['id']}/fail")

    assert failed["status"] == "failed"
    payment = client.payment.fetch(captured["id"])
    assert (payment["status"], payment["refund_status"], payment["amount_refunded"]) == (
        "captured",
        None,
        0,
    )
    control.post(f"/_sim/refunds/{refund['id']}/fail", expect=400)
    again = client.payment.refund(captured["id"], {})  # the amount can be refunded again
    assert again["amount"] == 50000


def test_refund_outcome_fault_makes_refunds_settle_as_failed(client, control, captured):
    control.post("/_sim/faults", {"refund_outcome": "failed"})

    refund = client.payment.refund(captured["id"], {"amount": 1000})

    wait_until(lambda: _status(client, refund["id"]) == "failed", timeout=3)
    assert client.payment.fetch(captured["id"])["amount_refunded"] == 0


def test_refund_delay_is_configurable(client, control, captured):
    control.post("/_sim/config", {"refund_delay": 0})

    refund = client.payment.refund(captured["id"], {"amount": 1000})

    wait_until(lambda: _status(client, refund["id"]) == "processed", timeout=1)


def _refund_in_thread(sim, payment_id, body, headers=None):
    # One client (one requests session) per call: sessions are not shared across threads.
    client = razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sim.url)
    try:
        return client.payment.refund(payment_id, body, headers=dict(headers or {}))["id"]
    except razorpay.errors.BadRequestError as error:
        return str(error)


def test_concurrent_refunds_never_exceed_the_captured_amount(sim, client, captured):
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(
            pool.map(lambda _: _refund_in_thread(sim, captured["id"], {"amount": 10000}), range(12))
        )

    assert sum(1 for o in outcomes if REFUND_ID.match(o)) == 5
    assert client.payment.fetch(captured["id"])["amount_refunded"] == 50000


def test_concurrent_requests_with_one_idempotency_key_make_one_refund(sim, client, captured):
    headers = {"X-Refund-Idempotency": "same-key-under-race"}
    with ThreadPoolExecutor(8) as pool:
        ids = set(
            pool.map(
                lambda _: _refund_in_thread(sim, captured["id"], {"amount": 700}, headers), range(8)
            )
        )

    assert len(ids) == 1
    assert client.payment.fetch(captured["id"])["amount_refunded"] == 700
