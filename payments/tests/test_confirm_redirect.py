"""Confirm's one exception to JSON: Checkout's browser form post, from an app with a return
URL, whose Accept does not prefer JSON, is sent back to the shop (303) once verified."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from clients.models import validate_return_url
from payments.models import Payment
from payments.tests.test_confirm_failure import DECLINED_CARD, checkout_redirect

pytestmark = pytest.mark.django_db
CONFIRM = "/payments/confirm"
FORM = "application/x-www-form-urlencoded"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RETURN_URL = "https://shop.example/checkout/done?cart=42"


@pytest.fixture
def shop_returns(client_app):
    client_app.return_url = RETURN_URL
    client_app.save()
    return client_app


def browser_post(fields: dict, accept: str = BROWSER_ACCEPT):
    return APIClient().post(CONFIRM, urlencode(fields), content_type=FORM, HTTP_ACCEPT=accept)


def returned_to(response) -> dict:
    """The return URL's own query plus what confirm added, after checking it is the shop's."""
    assert response.status_code == 303, response.content
    assert response["Cache-Control"] == "no-store"
    location = urlsplit(response["Location"])
    assert location._replace(query="").geturl() == "https://shop.example/checkout/done"
    return {name: values[-1] for name, values in parse_qs(location.query).items()}


def test_browser_form_post_of_a_captured_payment_is_sent_back_to_the_shop(
    shop_returns, initiate, razorpay
):
    payment = initiate().json()
    fields = checkout_redirect(razorpay, payment["razorpayOrderId"], {"outcome": "captured"})

    query = returned_to(browser_post(fields))

    assert query == {"cart": "42", "payment": payment["id"], "status": "captured"}
    assert Payment.objects.get(pk=payment["id"]).status == "captured"  # verified, as for JSON


def test_an_authorized_payment_is_captured_before_the_browser_is_sent_back(
    shop_returns, initiate, razorpay
):
    payment = initiate().json()
    fields = checkout_redirect(razorpay, payment["razorpayOrderId"], {"outcome": "authorized"})

    assert returned_to(browser_post(fields))["status"] == "captured"


def test_a_declined_card_sends_the_browser_back_with_status_failed(
    shop_returns, initiate, razorpay
):
    payment = initiate().json()
    fields = checkout_redirect(
        razorpay, payment["razorpayOrderId"], {"outcome": "captured", "card_number": DECLINED_CARD}
    )

    query = returned_to(browser_post(fields))

    assert query["payment"] == payment["id"] and query["status"] == "failed"
    assert Payment.objects.get(pk=payment["id"]).status == "failed"


def test_a_bad_signature_sends_the_browser_back_with_status_error_and_changes_nothing(
    shop_returns, initiate, razorpay
):
    payment = initiate().json()
    fields = checkout_redirect(razorpay, payment["razorpayOrderId"], {"outcome": "captured"})
    fields["razorpay_signature"] = "0" * 64

    query = returned_to(browser_post(fields))

    assert query["payment"] == payment["id"] and query["status"] == "error"
    assert Payment.objects.get(pk=payment["id"]).status == "created"


def test_a_gateway_outage_sends_the_browser_back_with_status_error(
    shop_returns, initiate, razorpay
):
    payment = initiate().json()
    fields = checkout_redirect(razorpay, payment["razorpayOrderId"], {"outcome": "captured"})
    razorpay.faults(error_rate=1, error_status=502, paths=["/v1/payments"])

    assert returned_to(browser_post(fields))["status"] == "error"


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/json, text/html",
        "text/html;q=0.5, application/json",
    ],
)
def test_a_form_post_preferring_json_is_answered_json(shop_returns, initiate, razorpay, accept):
    payment = initiate().json()
    fields = checkout_redirect(razorpay, payment["razorpayOrderId"], {"outcome": "captured"})

    response = browser_post(fields, accept=accept)

    assert response.status_code == 200 and response.json()["status"] == "captured"


def test_a_json_confirm_is_answered_json_even_with_a_return_url(shop_returns, initiate, razorpay):
    payment = initiate().json()
    fields = razorpay.pay(payment["razorpayOrderId"])

    response = APIClient().post(CONFIRM, fields, format="json", HTTP_ACCEPT="*/*")

    assert response.status_code == 200 and response.json()["id"] == payment["id"]


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "text/html"])
def test_without_a_return_url_a_browser_form_post_is_answered_json(initiate, razorpay, accept):
    payment = initiate().json()
    fields = checkout_redirect(razorpay, payment["razorpayOrderId"], {"outcome": "captured"})

    response = browser_post(fields, accept=accept)

    assert response.status_code == 200 and response.json()["status"] == "captured"


def test_an_unknown_order_is_answered_with_its_problem_not_a_redirect(shop_returns, razorpay):
    fields = {
        "razorpay_order_id": "order_Unknown0000000",
        "razorpay_payment_id": "pay_Unknown00000000",
        "razorpay_signature": "0" * 64,
    }

    response = browser_post(fields)

    assert response.status_code == 404 and response.json()["code"] == "payment_not_found"


def test_a_failure_report_naming_another_apps_order_redirects_to_that_apps_url_only(
    shop_returns, initiate, razorpay
):
    """The return URL is the payment's app's, found from our own order, never from the form."""
    payment = initiate().json()
    fields = {
        "error[code]": "BAD_REQUEST_ERROR",
        "error[metadata]": json.dumps(
            {"order_id": payment["razorpayOrderId"], "payment_id": "pay_Unknown00000000"}
        ),
    }

    query = returned_to(browser_post(fields))  # Razorpay does not know that payment: an error

    assert query["payment"] == payment["id"] and query["status"] == "error"


@pytest.mark.parametrize("url", ["https://shop.example/done", "http://127.0.0.1:8000/demo/shop"])
def test_return_urls_may_be_http_outside_production(url):
    validate_return_url(url)


@pytest.mark.parametrize(
    "url", ["http://shop.example/done", "javascript:alert(1)", "/relative", "https://a.example/#x"]
)
def test_return_urls_must_be_absolute_https_in_production(settings, url):
    settings.IS_PRODUCTION = True
    with pytest.raises(ValidationError):
        validate_return_url(url)
