"""Four eyes in a real headless Chromium: a finance user asks for a refund above the approval
threshold, sees it wait, is refused when approving it herself; a second finance user finds it
from the dashboard and approves it; Razorpay processes it and the payment shows it refunded.
Screenshots are kept under test-artifacts/."""

import time

from rest_framework.test import APIClient

from backoffice.tests.conftest import staff_user
from conftest import INITIATE_BODY, SIM_WEBHOOK_SECRET
from payments_service.integrations.razorpay import get_gateway
from refunds.models import Refund
from reliability.browser import ARTIFACTS, sign_in

from .test_browser import pytestmark  # noqa: F401  (the same marks)


def decide(page, action: str, reason: str) -> str:
    page.check("input.action-select")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    page.fill("#id_reason", reason)
    page.click("input[type=submit][value^=Confirm]")
    return page.locator("ul.messagelist").inner_text()


def test_a_large_refund_waits_for_a_second_finance_user_then_is_processed(
    browser,
    live_server,
    razorpay,
    client_app,
    settings,
):
    settings.REFUND_APPROVAL_THRESHOLD = {"INR": 50_000}  # above ₹500.00: four eyes
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    body = {**INITIATE_BODY, "externalRef": "shop-order-4eyes", "amount": 150000}
    payment = api.post(
        "/payments/initiate", body, format="json", headers={"Idempotency-Key": "b4"}
    ).json()
    handler = razorpay.pay(payment["razorpayOrderId"])
    confirmed = api.post("/payments/confirm", handler, format="json").json()
    assert confirmed["status"] == "captured"
    razorpay_payment_id = confirmed["razorpayPaymentId"]
    razorpay.configure(
        webhook_url=f"{live_server.url}/webhooks/razorpay", webhook_secret=SIM_WEBHOOK_SECRET
    )
    staff_user("fiona", "finance", password="correct horse")
    staff_user("omar", "finance", password="correct horse")
    ARTIFACTS.mkdir(exist_ok=True)

    fiona = sign_in(browser, live_server.url, "fiona")
    fiona.goto(f"{live_server.url}/admin/payments/payment/?q=shop-order-4eyes")
    fiona.check("input.action-select")
    fiona.select_option("select[name=action]", "refund")
    fiona.click("button[name=index]")
    fiona.fill("#id_amount", "800.00")
    fiona.fill("#id_reason", "whole order returned")
    fiona.click("input[type=submit][value^=Confirm]")
    assert "awaiting_approval" in fiona.locator("ul.messagelist").inner_text()
    assert get_gateway().payment_refunds(razorpay_payment_id) == []

    fiona.goto(f"{live_server.url}/admin/refunds/refundawaitingapproval/")
    assert "₹800.00" in fiona.content() and "user:fiona" in fiona.content()
    refused = decide(fiona, "approve", "looks fine to me")
    assert "another finance user must approve it" in refused
    fiona.screenshot(path=str(ARTIFACTS / "refund-approval-refused.png"), full_page=True)
    assert Refund.objects.get().status == "awaiting_approval"

    omar = sign_in(browser, live_server.url, "omar")
    omar.click("#refunds-awaiting-approval")  # the dashboard's figure leads to the queue
    assert omar.url.endswith("/admin/refunds/refundawaitingapproval/")
    assert "approved → pending" in decide(omar, "approve", "checked the return")
    omar.screenshot(path=str(ARTIFACTS / "refund-approved.png"), full_page=True)

    omar.goto(f"{live_server.url}/admin/payments/payment/{payment['id']}/change/")
    deadline = time.monotonic() + 45
    while "partially refunded" not in omar.content() and time.monotonic() < deadline:
        time.sleep(0.3)  # Razorpay settles the refund; its webhook updates the payment
        omar.reload()
    timeline = omar.locator("table.timeline").inner_text()
    assert "partially refunded" in omar.content() and "₹800.00" in timeline
    assert "Refund approved: checked the return" in timeline
    (sent,) = get_gateway().payment_refunds(razorpay_payment_id)
    assert (sent.amount, sent.status) == (80_000, "processed")
    assert Refund.objects.get().status == "processed"
