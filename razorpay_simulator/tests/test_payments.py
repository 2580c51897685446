"""Payments: the control API's checkout outcomes, the payment entity, capture and late auth."""

import pytest
import razorpay

from .support import KEY_SECRET, PAYMENT_ID, fixture, rejected

PAYMENT_KEYS = {
    "id",
    "entity",
    "amount",
    "currency",
    "status",
    "order_id",
    "invoice_id",
    "international",
    "method",
    "amount_refunded",
    "refund_status",
    "captured",
    "description",
    "card_id",
    "bank",
    "wallet",
    "vpa",
    "email",
    "contact",
    "customer_id",
    "token_id",
    "notes",
    "fee",
    "tax",
    "error_code",
    "error_description",
    "error_source",
    "error_step",
    "error_reason",
    "acquirer_data",
    "created_at",
}
CARD_KEYS = {
    "id",
    "entity",
    "name",
    "last4",
    "network",
    "type",
    "issuer",
    "international",
    "emi",
    "sub_type",
    "token_iin",
}
OLD_FIXTURE_FIELDS = {"udf", "service_tax"}  # pre-2020 fields the simplified mocks still carry


def test_captured_card_payment_has_every_contract_field(client, control, order):
    result = control.pay(order["id"], "captured")

    assert set(result) == {"razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}
    payment = client.payment.fetch(result["razorpay_payment_id"])
    assert set(payment) == PAYMENT_KEYS | {"card"}
    assert PAYMENT_ID.match(payment["id"])
    assert payment["entity"] == "payment"
    assert (payment["amount"], payment["currency"], payment["order_id"]) == (
        50000,
        "INR",
        order["id"],
    )
    assert (payment["status"], payment["captured"], payment["method"]) == ("captured", True, "card")
    assert (payment["amount_refunded"], payment["refund_status"]) == (0, None)
    assert (payment["fee"], payment["tax"]) == (1180, 180)  # 2% + 18% GST on it, GST included
    assert payment["error_code"] is None
    assert set(payment["card"]) == CARD_KEYS
    assert payment["card_id"] == payment["card"]["id"]
    assert (payment["card"]["last4"], payment["card"]["network"]) == ("1007", "Visa")
    assert payment["notes"] == []
    for name in ("fake_payment.json", "fake_captured_payment.json", "edit_payment.json"):
        assert set(fixture(name)) - OLD_FIXTURE_FIELDS <= set(payment)
    for item in fixture("payment_collection.json")["items"]:
        assert set(item) - OLD_FIXTURE_FIELDS <= set(payment)


def test_fee_matches_the_contract_sample(client, control):
    order = client.order.create({"amount": 1000, "currency": "INR"})
    payment = client.payment.fetch(control.pay(order["id"])["razorpay_payment_id"])

    assert (payment["fee"], payment["tax"]) == (24, 4)


@pytest.mark.parametrize(
    ("choice", "filled"),
    [
        ({"method": "upi"}, {"vpa": "success@razorpay"}),
        ({"method": "netbanking"}, {"bank": "HDFC"}),
        ({"method": "wallet"}, {"wallet": "freecharge"}),
        ({"method": "card", "card_number": "5555 5555 5555 4444"}, {"international": True}),
    ],
)
def test_method_specific_fields_are_filled(client, control, order, choice, filled):
    payment = client.payment.fetch(control.pay(order["id"], **choice)["razorpay_payment_id"])

    assert payment["method"] == choice["method"]
    assert {name: payment[name] for name in filled} == filled
    if choice["method"] == "upi":
        assert payment["upi"] == {
            "payer_account_type": "bank_account",
            "vpa": "success@razorpay",
            "flow": "collect",
        }


def test_checkout_signature_verifies_with_the_sdk(client, control, order):
    result = control.pay(order["id"], "authorized")

    assert client.utility.verify_payment_signature(result) is True
    tampered = {**result, "razorpay_order_id": "order_00000000000000"}
    with pytest.raises(razorpay.errors.SignatureVerificationError):
        client.utility.verify_payment_signature(tampered)


def test_signature_uses_the_key_secret(control, order):
    result = control.pay(order["id"])

    other = razorpay.Client(auth=("rzp_test_other", "not-" + KEY_SECRET))
    with pytest.raises(razorpay.errors.SignatureVerificationError):
        other.utility.verify_payment_signature(result)


def test_failed_payment_answers_the_checkout_error_and_is_fetchable(client, control, order):
    result = control.pay(order["id"], "failed", error_reason="insufficient_funds")

    error = result["error"]
    assert set(result) == {"error"}
    assert set(error) == {"code", "description", "source", "step", "reason", "metadata"}
    assert (error["code"], error["reason"]) == ("BAD_REQUEST_ERROR", "insufficient_funds")
    assert error["metadata"]["order_id"] == order["id"]
    payment = client.payment.fetch(error["metadata"]["payment_id"])
    assert (payment["status"], payment["captured"], payment["fee"]) == ("failed", False, None)
    assert payment["error_code"] == "BAD_REQUEST_ERROR"
    assert payment["error_description"] == error["description"]
    assert (payment["error_source"], payment["error_step"]) == (error["source"], error["step"])
    assert payment["error_reason"] == "insufficient_funds"


def test_order_state_machine(client, control, order):
    failed = control.pay(order["id"], "failed")
    after_failure = client.order.fetch(order["id"])
    assert (after_failure["status"], after_failure["attempts"]) == ("attempted", 1)

    paid = control.pay(order["id"], "captured")
    assert "razorpay_payment_id" in paid
    after_payment = client.order.fetch(order["id"])
    assert (after_payment["status"], after_payment["attempts"]) == ("paid", 2)
    assert (after_payment["amount_paid"], after_payment["amount_due"]) == (50000, 0)
    assert failed["error"]["metadata"]["payment_id"] != paid["razorpay_payment_id"]


def test_paid_order_refuses_another_payment(control, order):
    control.pay(order["id"], "captured")

    refused = control.post(f"/_sim/orders/{order['id']}/pay", {"outcome": "captured"}, 400)

    assert refused["error"]["description"] == "Payment already done for this order."
    assert refused["error"]["reason"] == "order_already_paid"


def test_authorized_payment_blocks_another_until_captured(client, control, order):
    payment_id = control.pay(order["id"], "authorized")["razorpay_payment_id"]
    assert client.order.fetch(order["id"])["status"] == "attempted"

    control.post(f"/_sim/orders/{order['id']}/pay", {"outcome": "captured"}, 400)
    client.payment.capture(payment_id, 50000, {"currency": "INR"})

    assert client.order.fetch(order["id"])["status"] == "paid"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "outcome"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "captured", "method": "cash"}, "method"),
        ({"outcome": "captured", "error_reason": "card_declined"}, "error_reason"),
        ({"outcome": "failed", "error_reason": "bad_luck"}, "error_reason"),
        ({"outcome": "captured", "card_number": "4111111111111111"}, "card_number"),
        ({"outcome": "captured", "method": "upi", "vpa": "me@bank"}, "vpa"),
        ({"outcome": "captured", "tip": 5}, "tip"),
    ],
)
def test_bad_pay_request_is_400(control, order, body, field):
    refused = control.post(f"/_sim/orders/{order['id']}/pay", body, 400)

    assert refused["error"]["field"] == field


def test_paying_an_unknown_order_is_400(control):
    refused = control.post("/_sim/orders/order_00000000000000/pay", {"outcome": "captured"}, 400)

    assert refused["error"]["description"] == "The id provided does not exist"


def test_error_card_and_upi_failure_fail_whatever_the_outcome(client, control, order):
    by_card = control.pay(order["id"], "captured", card_number="4100 2800 0002 0007")
    assert (by_card["error"]["code"], by_card["error"]["reason"]) == (
        "GATEWAY_ERROR",
        "gateway_technical_error",
    )
    by_upi = control.pay(order["id"], "captured", method="upi", vpa="failure@razorpay")
    assert by_upi["error"]["reason"] == "payment_failed"
    assert client.order.fetch(order["id"])["attempts"] == 2


def test_capture_authorized_payment(client, control, order):
    payment_id = control.pay(order["id"], "authorized")["razorpay_payment_id"]
    authorized = client.payment.fetch(payment_id)
    assert (authorized["status"], authorized["captured"]) == ("authorized", False)
    assert (authorized["fee"], authorized["tax"]) == (None, None)

    captured = client.payment.capture(payment_id, 50000, {"currency": "INR"})

    assert (captured["status"], captured["captured"], captured["fee"]) == ("captured", True, 1180)
    assert client.payment.fetch(payment_id) == captured


def test_capture_errors(client, control, order):
    payment_id = control.pay(order["id"], "authorized")["razorpay_payment_id"]
    with rejected("Capture amount must be equal to the amount authorized"):
        client.payment.capture(payment_id, 49999, {"currency": "INR"})
    with rejected("Capture request currency must be same as payment currency"):
        client.payment.capture(payment_id, 50000, {"currency": "USD"})

    client.payment.capture(payment_id, 50000, {"currency": "INR"})
    with rejected("This payment has already been captured"):
        client.payment.capture(payment_id, 50000, {"currency": "INR"})


def test_failed_payment_cannot_be_captured(client, control, order):
    payment_id = control.pay(order["id"], "failed")["error"]["metadata"]["payment_id"]

    with rejected("Only payments which have been authorized and not yet captured can be captured"):
        client.payment.capture(payment_id, 50000, {"currency": "INR"})
    with rejected("The id provided does not exist"):
        client.payment.capture("pay_00000000000000", 50000, {"currency": "INR"})


def test_failed_then_successful_payment_on_the_same_order(client, control, order):
    control.pay(order["id"], "failed")
    payment_id = control.pay(order["id"], "captured", method="upi")["razorpay_payment_id"]

    payments = client.order.payments(order["id"])["items"]
    assert [p["status"] for p in payments] == ["captured", "failed"]
    assert payments[0]["id"] == payment_id


def test_late_authorization_of_a_failed_payment(client, control, order):
    payment_id = control.pay(order["id"], "failed")["error"]["metadata"]["payment_id"]

    authorized = control.post(f"/_sim/payments/{payment_id}/authorize")
    assert (authorized["status"], authorized["error_code"]) == ("authorized", None)
    control.post(f"/_sim/payments/{payment_id}/authorize", expect=400)

    other = client.order.create({"amount": 1000, "currency": "INR"})
    other_failed = control.pay(other["id"], "failed")["error"]["metadata"]["payment_id"]
    captured = control.post(f"/_sim/payments/{other_failed}/authorize", {"capture": True})
    assert captured["status"] == "captured"
    assert client.order.fetch(other["id"])["status"] == "paid"


def test_late_authorization_is_refused_once_the_order_is_paid(control, order):
    failed = control.pay(order["id"], "failed")["error"]["metadata"]["payment_id"]
    control.pay(order["id"], "captured")

    refused = control.post(f"/_sim/payments/{failed}/authorize", expect=400)

    assert refused["error"]["description"] == "Payment already done for this order."


def test_edit_payment_notes_and_list_payments(client, control, order):
    payment_id = control.pay(order["id"])["razorpay_payment_id"]

    edited = client.payment.edit(payment_id, {"notes": {"key1": "value1"}})

    assert edited["notes"] == {"key1": "value1"}
    assert [p["id"] for p in client.payment.all()["items"]] == [payment_id]
    with rejected("Notes should be provided as a dictionary"):
        client.payment.edit(payment_id, {"notes": ["no"]})
