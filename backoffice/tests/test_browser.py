"""A finance operator's day, in a real headless Chromium (Debian's package, no downloads):
log in, find a payment by its externalRef, read its timeline, refund part of it, see the
refund and the new status. Screenshots are kept under test-artifacts/."""

import time

import pytest
from rest_framework.test import APIClient

from backoffice.tests.conftest import staff_user
from conftest import INITIATE_BODY, SIM_WEBHOOK_SECRET
from reliability.browser import ARTIFACTS, needs_chromium, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]


def test_finance_operator_finds_and_refunds_a_payment(browser, live_server, razorpay, client_app):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    body = {**INITIATE_BODY, "externalRef": "shop-order-4711", "amount": 150000}
    payment = api.post(
        "/payments/initiate", body, format="json", headers={"Idempotency-Key": "b1"}
    ).json()
    handler = razorpay.pay(payment["razorpayOrderId"])
    assert api.post("/payments/confirm", handler, format="json").json()["status"] == "captured"
    # From now on Razorpay's webhooks reach the service (the refund's will settle it).
    razorpay.configure(
        webhook_url=f"{live_server.url}/webhooks/razorpay", webhook_secret=SIM_WEBHOOK_SECRET
    )
    staff_user("fiona", "finance", password="correct horse")
    page = sign_in(browser, live_server.url, "fiona")

    page.goto(f"{live_server.url}/admin/payments/payment/")
    page.fill("#searchbar", "shop-order-4711")
    page.press("#searchbar", "Enter")
    page.click(f"text={payment['id']}")
    timeline = page.locator("table.timeline")
    assert "created → captured" in timeline.inner_text()
    assert "₹1,500.00" in page.content()
    page.screenshot(path=str(ARTIFACTS / "payment-page.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/payments/payment/?q=shop-order-4711")
    page.check("input.action-select")
    page.select_option("select[name=action]", "refund")
    page.click("button[name=index]")
    page.fill("#id_amount", "500.00")
    page.fill("#id_reason", "one item returned")
    page.click("input[type=submit][value^=Confirm]")
    assert "refund" in page.locator("ul.messagelist").inner_text().lower()

    page.goto(f"{live_server.url}/admin/payments/payment/{payment['id']}/change/")
    deadline = time.monotonic() + 45
    while "partially refunded" not in page.content() and time.monotonic() < deadline:
        time.sleep(0.3)  # the refund settles at Razorpay, whose webhook updates the payment
        page.reload()
    text = page.content()
    assert "partially refunded" in text and "₹500.00" in text
    assert "one item returned" in page.locator("table.timeline").inner_text()
    page.screenshot(path=str(ARTIFACTS / "payment-page-refunded.png"), full_page=True)


def test_finance_enrols_two_factor_signs_in_with_a_code_refunds_and_finds_it_audited(
    browser, live_server, razorpay, client_app, settings
):
    settings.STAFF_2FA_REQUIRED = True  # production's default; the live server reads it per request
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    body = {**INITIATE_BODY, "externalRef": "shop-order-2fa", "amount": 90000}
    payment = api.post(
        "/payments/initiate", body, format="json", headers={"Idempotency-Key": "b2"}
    ).json()
    handler = razorpay.pay(payment["razorpayOrderId"])
    assert api.post("/payments/confirm", handler, format="json").json()["status"] == "captured"
    staff_user("fiona", "finance", password="correct horse")
    page = sign_in(browser, live_server.url, "fiona")
    # A password is not enough for someone who can refund: first, an authenticator.
    page.goto(f"{live_server.url}/admin/payments/payment/")
    assert page.url.endswith("/admin/auth/user/two-factor/")
    assert page.locator(".qr svg").count() == 1
    secret = page.inner_text("#totp-secret")
    page.screenshot(path=str(ARTIFACTS / "two-factor-enrol.png"), full_page=True)
    page.fill("#id_code", totp_code(secret))
    page.click("input[type=submit][value=Confirm]")
    assert page.locator("ul.recovery-codes li").count() == 10

    page.click("#logout-form button")
    # the enrolment's code is spent: the next one
    page = sign_in(browser, live_server.url, "fiona", otp=totp_code(secret, ahead=1))
    page.goto(f"{live_server.url}/admin/payments/payment/?q=shop-order-2fa")
    assert page.url.endswith("?q=shop-order-2fa")

    page.check("input.action-select")
    page.select_option("select[name=action]", "refund")
    page.click("button[name=index]")
    page.fill("#id_amount", "100.00")
    page.fill("#id_reason", "late delivery")
    page.click("input[type=submit][value^=Confirm]")
    assert "refund" in page.locator("ul.messagelist").inner_text().lower()

    page.goto(f"{live_server.url}/admin/audit/auditentry/?actor=fiona")
    rows = page.locator("#result_list tbody").inner_text()
    assert "Refund" in rows and "late delivery" in rows and payment["id"] in rows
    page.screenshot(path=str(ARTIFACTS / "audit-list.png"), full_page=True)
    page.click(f"#result_list a:has-text('{payment['id']}')")
    timeline = page.locator("table.timeline").inner_text()
    assert "Refund: late delivery" in timeline and "fiona" in timeline


def totp_code(secret: str, ahead: int = 0) -> str:
    """What an authenticator app shows for `secret` (RFC 6238: HMAC-SHA1, 30 s, 6 digits)."""
    import base64
    import hashlib
    import hmac
    import struct

    counter = int(time.time() // 30) + ahead
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"
