"""Confirm of a failed Checkout attempt: the redirect's `error[...]` form post and the
`payment.failed` handler's JSON, exactly as the simulator (like Razorpay) produces them."""

import html
import json
import re
from urllib.parse import quote, urlencode

import pytest
import requests
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from rest_framework.test import APIClient

from payments.models import Payment, PaymentAttempt, PaymentStatusChange

pytestmark = pytest.mark.django_db
CONFIRM = "/payments/confirm"
FORM = "application/x-www-form-urlencoded"
DECLINED_CARD = "4100280000060003"  # Razorpay's test card that the bank declines


def confirm_json(body: dict):
    """What a front end's `payment.failed` handler (or its success handler) sends."""
    return APIClient().post(CONFIRM, body, format="json")


def confirm_form(fields: dict):
    """What the browser posts to callback_url in Checkout's redirect mode."""
    return APIClient().post(CONFIRM, urlencode(fields), content_type=FORM)


def checkout_redirect(razorpay, order_id: str, choice: dict) -> dict:
    """Pays on the simulator's checkout page opened with callback_url, and answers the fields
    of the form its result page auto-submits to our confirm."""
    callback = quote("http://testserver/payments/confirm", safe="")
    page = requests.post(
        f"{razorpay.url}/_sim/checkout/{order_id}?callback_url={callback}", data=choice, timeout=5
    )
    assert page.status_code == 200, page.text
    form = re.search(r'<form id="callback" method="post" action="[^"]+">(.*?)</form>', page.text)
    inputs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[1])
    return {html.unescape(name): html.unescape(value) for name, value in inputs}


def assert_payment_failed(response, payment: dict, reason: str, description: str) -> dict:
    assert response.status_code == 402, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "payment_failed" and problem["type"] == "urn:problem:payment_failed"
    assert problem["paymentId"] == payment["id"]
    assert problem["gatewayCode"] == "BAD_REQUEST_ERROR"
    assert problem["gatewayDescription"] == description
    assert problem["gatewayReason"] == reason
    assert problem["retryable"] is True
    return problem


def test_declined_card_form_post_answers_402_records_the_attempt_and_a_retry_captures(
    initiate, razorpay
):
    payment = initiate().json()
    order_id = payment["razorpayOrderId"]
    fields = checkout_redirect(
        razorpay, order_id, {"outcome": "captured", "card_number": DECLINED_CARD}
    )
    assert set(fields) == {
        "error[code]",
        "error[description]",
        "error[source]",
        "error[step]",
        "error[reason]",
        "error[metadata]",
    }
    failed_id = json.loads(fields["error[metadata]"])["payment_id"]

    response = confirm_form(fields)

    assert_payment_failed(
        response, payment, "card_declined", "Your payment has been declined by your bank."
    )
    attempt = PaymentAttempt.objects.get(razorpay_payment_id=failed_id)
    assert attempt.payment_id == payment["id"] and attempt.status == "failed"
    assert (attempt.error_code, attempt.error_reason) == ("BAD_REQUEST_ERROR", "card_declined")
    assert attempt.error_description == "Your payment has been declined by your bank."
    assert (attempt.error_source, attempt.error_step) == ("bank", "payment_authorization")
    assert Payment.objects.get(pk=payment["id"]).status == "failed"
    change = PaymentStatusChange.objects.filter(payment_id=payment["id"]).last()
    assert (change.from_status, change.to_status, change.source) == ("created", "failed", "api")

    retried = confirm_form(checkout_redirect(razorpay, order_id, {"outcome": "captured"}))

    assert retried.status_code == 200, retried.content
    assert retried.json()["status"] == "captured"
    assert retried.json()["razorpayPaymentId"] != failed_id
    assert PaymentAttempt.objects.filter(payment_id=payment["id"]).count() == 2


def test_payment_failed_json_answers_402_records_the_attempt_and_a_retry_captures(
    initiate, razorpay
):
    payment = initiate().json()
    failure = razorpay.pay(
        payment["razorpayOrderId"], outcome="failed", error_reason="insufficient_funds"
    )
    assert set(failure) == {"error"}

    response = confirm_json(failure)

    description = "Your payment could not be completed due to insufficient account balance."
    assert_payment_failed(response, payment, "insufficient_funds", description)
    attempt = PaymentAttempt.objects.get(
        razorpay_payment_id=failure["error"]["metadata"]["payment_id"]
    )
    assert attempt.status == "failed"
    assert (attempt.error_code, attempt.error_reason) == ("BAD_REQUEST_ERROR", "insufficient_funds")
    assert attempt.error_description == description
    assert Payment.objects.get(pk=payment["id"]).status == "failed"
    assert confirm_json(failure).status_code == 402  # repeating it is harmless
    assert (
        PaymentStatusChange.objects.filter(payment_id=payment["id"], to_status="failed").count()
        == 1
    )

    retried = confirm_json(razorpay.pay(payment["razorpayOrderId"], outcome="captured"))

    assert retried.status_code == 200 and retried.json()["status"] == "captured"


def test_the_reported_error_is_not_trusted_razorpays_is_recorded_and_answered(initiate, razorpay):
    payment = initiate().json()
    failure = razorpay.pay(
        payment["razorpayOrderId"], outcome="failed", error_reason="card_declined"
    )
    lie = {"code": "GATEWAY_ERROR", "description": "Try later", "reason": "gateway_technical_error"}

    response = confirm_json({"error": {**failure["error"], **lie}})

    assert_payment_failed(
        response, payment, "card_declined", "Your payment has been declined by your bank."
    )
    attempt = PaymentAttempt.objects.get(payment_id=payment["id"])
    assert (attempt.error_code, attempt.error_reason) == ("BAD_REQUEST_ERROR", "card_declined")


@pytest.mark.parametrize("outcome", ["captured", "authorized"])
def test_a_failure_reported_for_a_payment_razorpay_has_paid_answers_it_captured(
    initiate, razorpay, outcome
):
    payment = initiate().json()
    paid = razorpay.pay(payment["razorpayOrderId"], outcome=outcome)
    metadata = {"order_id": paid["razorpay_order_id"], "payment_id": paid["razorpay_payment_id"]}
    lie = {
        "error[code]": "BAD_REQUEST_ERROR",
        "error[description]": "Payment failed",
        "error[reason]": "payment_failed",
        "error[metadata]": json.dumps(metadata),
    }

    response = confirm_form(lie)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "captured"
    assert response.json()["razorpayPaymentId"] == paid["razorpay_payment_id"]
    assert PaymentAttempt.objects.get(payment_id=payment["id"]).status == "captured"


def test_a_late_failure_report_after_another_attempt_paid_answers_the_paid_payment(
    initiate, razorpay
):
    payment = initiate().json()
    failure = razorpay.pay(payment["razorpayOrderId"], outcome="failed")
    assert confirm_json(razorpay.pay(payment["razorpayOrderId"])).json()["status"] == "captured"

    response = confirm_json(failure)

    assert response.status_code == 200 and response.json()["status"] == "captured"
    assert PaymentAttempt.objects.filter(payment_id=payment["id"], status="failed").count() == 1


def test_a_failure_on_an_order_razorpay_has_paid_is_not_retryable(initiate, razorpay):
    # Another attempt captured at Razorpay, which the service has not heard of yet.
    payment = initiate().json()
    failure = razorpay.pay(payment["razorpayOrderId"], outcome="failed")
    razorpay.pay(payment["razorpayOrderId"], outcome="captured")

    response = confirm_json(failure)

    assert response.status_code == 402
    assert response.json()["retryable"] is False


def test_a_payment_of_another_order_is_a_mismatch(initiate, razorpay):
    ours = initiate(key="a", externalRef="big", amount=500000).json()
    other = initiate(key="b", externalRef="small", amount=100).json()
    failure = razorpay.pay(other["razorpayOrderId"], outcome="failed")["error"]
    failure["metadata"]["order_id"] = ours["razorpayOrderId"]

    response = confirm_json({"error": failure})

    assert response.status_code == 400 and response.json()["code"] == "payment_mismatch"
    assert not PaymentAttempt.objects.exists()
    assert Payment.objects.get(pk=ours["id"]).status == "created"


def test_a_failure_of_an_unknown_order_is_404(razorpay, db):
    metadata = {"order_id": "order_AAAAAAAAAAAAAA", "payment_id": "pay_AAAAAAAAAAAAAA"}

    response = confirm_form(
        {"error[code]": "BAD_REQUEST_ERROR", "error[metadata]": json.dumps(metadata)}
    )

    assert response.status_code == 404 and response.json()["code"] == "payment_not_found"


def test_a_payment_id_razorpay_does_not_know_is_rejected_400(initiate, razorpay):
    payment = initiate().json()
    metadata = {"order_id": payment["razorpayOrderId"], "payment_id": "pay_AAAAAAAAAAAAAA"}

    response = confirm_json({"error": {"code": "BAD_REQUEST_ERROR", "metadata": metadata}})

    assert response.status_code == 400 and response.json()["code"] == "gateway_rejected"
    assert Payment.objects.get(pk=payment["id"]).status == "created"


@pytest.mark.parametrize(
    ("send", "body", "field"),
    [
        (confirm_form, {"error[code]": "BAD_REQUEST_ERROR"}, "error.metadata"),
        (confirm_form, {"error[metadata]": "{not json"}, "error.metadata"),
        (confirm_form, {"error[metadata]": '["order_x"]'}, "error.metadata"),
        (confirm_form, {"error[metadata]": '{"order_id": "order_x"}'}, "error.metadata.payment_id"),
        (confirm_json, {"error": {"code": "BAD_REQUEST_ERROR"}}, "error.metadata"),
        (confirm_json, {"error": "card declined"}, "error"),
        (
            confirm_json,
            {"error": {"metadata": {"order_id": "order_x", "payment_id": "pay x"}}},
            "error.metadata.payment_id",
        ),
        (
            confirm_json,
            {"error": {"metadata": {"order_id": None, "payment_id": "pay_x"}}},
            "error.metadata.order_id",
        ),
        (confirm_form, {"error[metadata]": "{}", "error[cod]": "x", "shop": "1"}, "shop"),
    ],
)
def test_a_bad_failure_report_is_400_naming_the_field(db, send, body, field):
    response = send(body)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"], response.json()["errors"]


@pytest.mark.parametrize("send", [confirm_form, confirm_json])
def test_success_fields_with_an_error_are_400(initiate, razorpay, send):
    payment = initiate().json()
    failure = razorpay.pay(payment["razorpayOrderId"], outcome="failed")["error"]
    handler = razorpay.pay(payment["razorpayOrderId"], outcome="captured")
    if send is confirm_form:
        body = {
            **handler,
            "error[code]": failure["code"],
            "error[metadata]": json.dumps(failure["metadata"]),
        }
    else:
        body = {**handler, "error": failure}

    response = send(body)

    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert set(response.json()["errors"]) == set(handler)
    assert Payment.objects.get(pk=payment["id"]).status == "created"


def test_the_402_is_documented_and_conforms_to_the_schema(initiate, razorpay):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    responses = schema["paths"]["/payments/confirm"]["post"]["responses"]
    assert "402" in responses
    payment = initiate().json()
    response = confirm_json(razorpay.pay(payment["razorpayOrderId"], outcome="failed"))
    assert response.status_code == 402

    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    OpenAPI.from_dict(schema, config=config).validate_response(
        MockRequest("http://testserver", "post", CONFIRM),
        MockResponse(
            response.content,
            response.status_code,
            headers=dict(response.headers),
            content_type=response["Content-Type"],
        ),
    )
