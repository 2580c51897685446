"""The demo shop of `make run`: buy sends the customer to the checkout page, and the page
confirm returns to shows the payment as the service has it, not as the query says."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from clients.services import client_app_create
from payments.models import Payment
from payments.tests.test_confirm_failure import checkout_redirect
from payments.tests.test_confirm_redirect import BROWSER_ACCEPT, FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_app(db):
    app, _ = client_app_create(name="demo")
    app.return_url = "http://testserver/demo/shop"
    app.save()
    return app


def buy(razorpay) -> tuple[Payment, str]:
    response = Client().post("/demo/shop")
    assert response.status_code == 303, response.content
    payment = Payment.objects.get(client_app__name="demo")
    return payment, response["Location"]


def test_buying_initiates_a_payment_and_opens_checkout_with_prefill_and_callback(
    demo_app, razorpay
):
    payment, location = buy(razorpay)

    url = urlsplit(location)
    assert f"{url.scheme}://{url.netloc}" == razorpay.url
    assert url.path == f"/_sim/checkout/{payment.razorpay_order_id}"
    query = {name: values[-1] for name, values in parse_qs(url.query).items()}
    assert query["callback_url"] == "http://testserver/payments/confirm"
    assert query["prefill[email]"] == payment.email and query["prefill[contact]"] == payment.contact
    assert query["prefill[name]"]


def test_after_checkout_the_shop_page_shows_the_captured_payment(demo_app, razorpay):
    payment, _ = buy(razorpay)
    fields = checkout_redirect(razorpay, payment.razorpay_order_id, {"outcome": "captured"})
    browser = Client(HTTP_ACCEPT=BROWSER_ACCEPT)

    back = browser.post("/payments/confirm", urlencode(fields), content_type=FORM)
    page = browser.get(back["Location"])

    assert back.status_code == 303 and back["Location"].startswith("http://testserver/demo/shop?")
    assert page.status_code == 200
    assert '<span id="status" class="captured">captured</span>' in page.text
    assert payment.id in page.text


def test_the_shop_page_trusts_the_payment_not_the_query(demo_app, razorpay):
    payment, _ = buy(razorpay)

    page = Client().get("/demo/shop", {"payment": payment.id, "status": "captured"})

    assert '<span id="status" class="created">created</span>' in page.text


def test_the_shop_page_shows_only_the_demo_apps_payments(demo_app, client_app, initiate, razorpay):
    other = initiate().json()

    page = Client().get("/demo/shop", {"payment": other["id"], "status": "captured"})

    assert "no such payment" in page.text and other["id"] not in page.text


def test_there_is_no_demo_shop_in_production(demo_app, settings):
    settings.IS_PRODUCTION = True

    assert Client().get("/demo/shop").status_code == 404
