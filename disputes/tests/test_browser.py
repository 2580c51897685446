"""A finance operator answers a chargeback in a real headless Chromium: Razorpay (the
simulator) opens a dispute, its webhook reaches the service, the console shows it, the
operator contests it with a document, and the payment's page shows the dispute."""

import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from backoffice.tests.conftest import staff_user
from conftest import INITIATE_BODY, SIM_WEBHOOK_SECRET, requires
from disputes.models import Dispute

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    requires(CHROMIUM.exists(), "Debian's chromium package (/usr/bin/chromium)"),
]


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the test's own ORM calls
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        )
        yield browser
        browser.close()


def _wait_for(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.2)
    return found


def test_finance_contests_a_dispute_with_a_document_and_the_payment_shows_it(
    browser, live_server, razorpay, client_app
):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    body = {**INITIATE_BODY, "externalRef": "shop-order-chargeback", "amount": 250000}
    payment = api.post(
        "/payments/initiate", body, format="json", headers={"Idempotency-Key": "d1"}
    ).json()
    handler = razorpay.pay(payment["razorpayOrderId"])
    assert api.post("/payments/confirm", handler, format="json").json()["status"] == "captured"
    razorpay.configure(
        webhook_url=f"{live_server.url}/webhooks/razorpay", webhook_secret=SIM_WEBHOOK_SECRET
    )
    opened = razorpay._post(
        f"/_sim/payments/{handler['razorpay_payment_id']}/dispute",
        {"amount": 100000, "reason_code": "goods_not_received", "phase": "chargeback"},
    )
    dispute = _wait_for(lambda: Dispute.objects.filter(razorpay_dispute_id=opened["id"]).first())
    staff_user("fiona", "finance", password="correct horse")
    ARTIFACTS.mkdir(exist_ok=True)

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")

    page.goto(f"{live_server.url}/admin/disputes/dispute/")
    row = page.locator("#result_list tbody tr").first
    assert dispute.id in row.inner_text() and "₹1,000.00" in row.inner_text()
    assert "open" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "disputes-console.png"), full_page=True)
    page.click(f"text={dispute.id}")
    page.click("#contest-dispute")
    page.fill("#id_summary", "Delivered on 3 Dec; the customer signed for it.")
    page.fill("#id_amount", "1000.00")
    page.set_input_files(
        "#id_document",
        {"name": "delivery.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% signed\n"},
    )
    page.check("input[name=submit][value=submit]")
    page.fill("#id_reason", "customer signed the delivery note")
    page.check("#id_confirm")
    page.click("input[type=submit][value^=Confirm]")
    assert "under review" in page.locator("ul.messagelist").inner_text()

    dispute.refresh_from_db()
    assert dispute.status == "under_review" and dispute.evidence_documents
    page.goto(f"{live_server.url}/admin/payments/payment/{payment['id']}/change/")
    timeline = page.locator("table.timeline").inner_text()
    assert dispute.id in timeline and "under review" in timeline
    assert "Dispute contested: customer signed the delivery note" in timeline
    assert "disputed" in page.locator(".field-status_badge").inner_text()
    page.screenshot(path=str(ARTIFACTS / "payment-page-disputed.png"), full_page=True)
