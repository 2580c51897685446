"""A finance operator's day, in a real headless Chromium (Debian's package, no downloads):
log in, find a payment by its externalRef, read its timeline, refund part of it, see the
refund and the new status. Screenshots are kept under test-artifacts/."""

import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from backoffice.tests.conftest import staff_user
from conftest import INITIATE_BODY, SIM_WEBHOOK_SECRET, requires

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    requires(CHROMIUM.exists(), "Debian's chromium package (/usr/bin/chromium)"),
]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself between page actions are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


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
    ARTIFACTS.mkdir(exist_ok=True)

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")

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
