"""The dashboard in a real headless Chromium, after payments, a declined card, a refund and a
failed webhook made through the simulator: finance reads the figures and the charts, follows a
number to the list behind it. Screenshots are kept under test-artifacts/."""

import json

from rest_framework.test import APIClient

from backoffice.tests.conftest import staff_user
from conftest import INITIATE_BODY
from payments.models import Payment, Source
from payments.services import payment_sync
from reliability.browser import ARTIFACTS, sign_in
from webhooks.tests.events import sign

from .test_browser import pytestmark  # noqa: F401  (the same marks)


def test_finance_reads_the_dashboard_and_follows_a_number_to_its_list(
    browser,
    live_server,
    razorpay,
    client_app,
):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    for n in range(3):
        body = {**INITIATE_BODY, "externalRef": f"dash-{n}", "amount": 25_000}
        payment = api.post(
            "/payments/initiate", body, format="json", headers={"Idempotency-Key": f"d{n}"}
        ).json()
        if n < 2:
            api.post("/payments/confirm", razorpay.pay(payment["razorpayOrderId"]), format="json")
        else:  # declined: Razorpay's answer applied as the admin's sync would
            razorpay.pay(payment["razorpayOrderId"], outcome="failed", error_reason="card_declined")
            declined = Payment.objects.get(pk=payment["id"])
            payment_sync(payment=declined, source=Source.ADMIN, actor="test")
    paid = Payment.objects.filter(status="captured").first()
    api.post(
        f"/payments/{paid.id}/refunds",
        {"amount": 5_000},
        format="json",
        headers={"Idempotency-Key": "dr"},
    )
    # A signed event for an order nobody has: kept as failed (a mismatch), shown as failed.
    broken = json.dumps({"event": "payment.captured", "payload": {"payment": {}}}).encode()
    api.post(
        "/webhooks/razorpay",
        broken,
        content_type="application/json",
        headers={"X-Razorpay-Event-Id": "evt_broken", "X-Razorpay-Signature": sign(broken)},
    )

    staff_user("fiona", "finance", password="correct horse")
    page = sign_in(browser, live_server.url, "fiona")

    page.goto(f"{live_server.url}/admin/?window=24h")
    board = page.locator("#dashboard")
    row = board.locator("#by-currency tr", has_text="INR").inner_text()
    assert row.split("\t")[:5] == ["INR", "3", "2", "₹500.00", "66.7%"], row
    assert "card_declined: 1" in board.inner_text()
    assert board.locator("#health tr", has_text="webhook events failed").inner_text().endswith("1")
    charts = board.locator("figure > svg")
    assert charts.count() == 3
    assert all(charts.nth(n).bounding_box()["width"] > 300 for n in range(3))  # drawn, not 0 px
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    board.locator("#by-currency a", has_text="3").first.click()  # the payments behind "3"
    assert "/admin/payments/payment/" in page.url
    listed = page.locator("#result_list").inner_text()
    assert all(f"dash-{n}" in listed for n in range(3))
    page.screenshot(path=str(ARTIFACTS / "dashboard-followed.png"), full_page=True)
