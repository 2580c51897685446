"""A finance operator answers a chargeback in a real headless Chromium: Razorpay (the
simulator) opens a dispute, its webhook reaches the service, the console shows it, the
operator contests it with a document, and the payment's page shows the dispute."""

import pytest
from rest_framework.test import APIClient

from backoffice.tests.conftest import staff_user
from conftest import INITIATE_BODY, SIM_WEBHOOK_SECRET
from disputes.models import Dispute
from reliability.browser import ARTIFACTS, needs_chromium, sign_in
from reliability.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]


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
    dispute = wait_until(
        lambda: Dispute.objects.filter(razorpay_dispute_id=opened["id"]).first(),
        timeout=30,
        what="the dispute's webhook to reach the service",
    )
    staff_user("fiona", "finance", password="correct horse")
    page = sign_in(browser, live_server.url, "fiona")

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
