"""The HTML checkout page: renders the order, pays on submit, redirects to callback_url."""

import html
import json
import re

import pytest
import requests

from .support import KEY_ID, KEY_SECRET


def _page(sim, order_id, query="", **kwargs):
    return requests.get(f"{sim.url}/_sim/checkout/{order_id}{query}", timeout=5, **kwargs)


def _submit(sim, order_id, form, query=""):
    return requests.post(f"{sim.url}/_sim/checkout/{order_id}{query}", data=form, timeout=5)


def _field(page, name):
    found = re.search(rf'<code id="{re.escape(name)}">([^<]*)</code>', page)
    return html.unescape(found.group(1)) if found else None


def test_page_shows_amount_order_and_default_outcome(sim, client):
    auto = client.order.create({"amount": 123456, "currency": "INR", "receipt": "shop-7"})
    manual = client.order.create({"amount": 100, "currency": "INR", "payment_capture": False})

    page = _page(sim, auto["id"])

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "₹1,234.56" in page.text
    assert auto["id"] in page.text and "shop-7" in page.text
    assert 'value="captured" checked' in page.text
    assert 'value="authorized" checked' in _page(sim, manual["id"]).text


def test_submitting_a_test_card_pays_and_shows_the_handler_fields(sim, client, order):
    form = {"outcome": "captured", "method": "card", "card_number": "5500 6700 0000 1002"}

    result = _submit(sim, order["id"], form)

    assert result.status_code == 200
    handler = {
        name: _field(result.text, name)
        for name in ("razorpay_payment_id", "razorpay_order_id", "razorpay_signature")
    }
    assert handler["razorpay_order_id"] == order["id"]
    assert client.utility.verify_payment_signature(handler) is True
    payment = client.payment.fetch(handler["razorpay_payment_id"])
    assert (payment["status"], payment["card"]["network"]) == ("captured", "MasterCard")
    assert "This order has been paid" in _page(sim, order["id"]).text


@pytest.mark.parametrize(
    ("card", "code", "reason"),
    [
        ("4100 2800 0008 0001", "BAD_REQUEST_ERROR", "insufficient_funds"),
        ("4100 2800 0007 0002", "BAD_REQUEST_ERROR", "payment_cancelled"),
        ("4100 2800 0000 0009", "GATEWAY_ERROR", "authentication_failed"),
    ],
)
def test_error_cards_fail_with_their_reason(sim, client, order, card, code, reason):
    result = _submit(sim, order["id"], {"outcome": "captured", "card_number": card})

    assert "Payment failed" in result.text
    payment = client.payment.fetch(_field(result.text, "payment_id"))
    assert (payment["status"], payment["error_code"], payment["error_reason"]) == (
        "failed",
        code,
        reason,
    )


def test_upi_ids(sim, client, order):
    failed = _submit(
        sim, order["id"], {"outcome": "captured", "method": "upi", "vpa": "failure@razorpay"}
    )
    assert client.payment.fetch(_field(failed.text, "payment_id"))["status"] == "failed"

    paid = _submit(
        sim, order["id"], {"outcome": "authorized", "method": "upi", "vpa": "success@razorpay"}
    )
    payment = client.payment.fetch(_field(paid.text, "razorpay_payment_id"))
    assert (payment["status"], payment["vpa"]) == ("authorized", "success@razorpay")


def test_unknown_card_redisplays_the_form_without_paying(sim, client, order):
    result = _submit(
        sim, order["id"], {"outcome": "captured", "card_number": "4111 1111 1111 1111"}
    )

    assert result.status_code == 400
    assert "test cards" in result.text and "<form" in result.text
    assert client.order.payments(order["id"])["count"] == 0


def test_callback_url_gets_an_auto_submitted_form_post(sim, order):
    query = "?callback_url=https%3A%2F%2Fshop.example%2Fpaid%3Fa%3D1%26b%3D2"

    result = _submit(sim, order["id"], {"outcome": "captured"}, query)

    form = re.search(
        r'<form id="callback" method="post" action="([^"]+)">(.*?)</form>', result.text
    )
    assert html.unescape(form.group(1)) == "https://shop.example/paid?a=1&b=2"
    names = re.findall(r'name="([^"]+)"', form.group(2))
    assert names == ["razorpay_payment_id", "razorpay_order_id", "razorpay_signature"]
    assert "document.getElementById('callback').submit()" in result.text


def test_failure_with_callback_url_posts_error_fields(sim, order):
    result = _submit(
        sim, order["id"], {"outcome": "failed"}, "?callback_url=http://shop.example/cb"
    )

    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', result.text))
    assert list(fields) == [
        f"error[{name}]" for name in ("code", "description", "source", "step", "reason", "metadata")
    ]
    metadata = json.loads(html.unescape(fields["error[metadata]"]))
    assert metadata["order_id"] == order["id"]
    assert metadata["payment_id"].startswith("pay_")


def test_non_http_callback_url_is_refused(sim, order):
    assert _page(sim, order["id"], "?callback_url=javascript:alert(1)").status_code == 400


def test_unknown_order_page_is_400(sim):
    page = _page(sim, "order_00000000000000")

    assert page.status_code == 400
    assert "The id provided does not exist" in page.text


def test_prefill_query_fills_the_customer_and_is_kept_on_the_payment(sim, order):
    query = (
        "?prefill[name]=Asha%20K&prefill[email]=asha%40example.com&prefill[contact]=%2B919812345678"
    )

    page = _page(sim, order["id"], query)

    assert '<strong id="prefill_name">Asha K</strong>' in page.text
    assert 'name="email" value="asha@example.com"' in page.text
    assert 'name="contact" value="+919812345678"' in page.text
    # The form posts back to the same URL; the customer's (pre-filled) email reaches the payment.
    form = {"outcome": "captured", "email": "asha@example.com", "contact": "+919812345678"}
    paid = _submit(sim, order["id"], form, query)
    payment_id = _field(paid.text, "razorpay_payment_id")
    fetched = requests.get(
        f"{sim.url}/v1/payments/{payment_id}", auth=(KEY_ID, KEY_SECRET), timeout=5
    )
    assert fetched.json()["email"] == "asha@example.com"


def test_prefill_is_escaped(sim, order):
    page = _page(sim, order["id"], "?prefill[name]=%3Cscript%3Ex%3C/script%3E")

    assert "<script>x</script>" not in page.text and "&lt;script&gt;" in page.text


def test_only_the_chosen_methods_field_is_shown_and_card_numbers_stay_on_one_line(sim, order):
    page = _page(sim, order["id"]).text

    assert '<label data-method="card">' in page and '<label data-method="upi">' in page
    assert "l.hidden=!on" in page  # the script hides (and disables) the other method's field
    assert '<code class="card">4100 2800 0000 1007</code>' in page
    assert ".card{white-space:nowrap}" in page
