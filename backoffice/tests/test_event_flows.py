"""Events through whole flows with the simulator: a capture known only from Razorpay's
webhook, a refund settled by the worker's chore, an operator's refund from the admin. Each
change appears once in the app's feed, with the right type, actor and data, `version` growing."""

import pytest
from rest_framework.test import APIClient

from backoffice.chores import chore_execute, chores_ensure
from backoffice.tests.test_payment_admin import refund_form
from reliability.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/admin/payments/payment/"


def events(api) -> list[dict]:
    return api.get("/events", {"pageSize": 100}).json()["results"]


def test_a_payment_captured_only_by_razorpays_webhook_is_told_once(
    api, initiate, razorpay, live_server
):
    razorpay.configure(webhook_url=f"{live_server.url}/webhooks/razorpay", webhook_backoff=0.1)
    payment = initiate().json()
    razorpay.pay(payment["razorpayOrderId"], outcome="captured")  # no confirm: the tab closed
    told = wait_until(
        lambda: [e for e in events(api) if e["type"] == "payment.captured"],
        timeout=15,
        what="the webhook to capture the payment",
    )
    wait_until(
        lambda: all(w["status"] == "delivered" for w in razorpay.webhooks()),
        timeout=15,
        what="every webhook copy to be delivered",
    )
    (captured,) = [e for e in events(api) if e["type"] == "payment.captured"]
    assert captured == told[0]
    assert captured["actor"] == "razorpay"
    assert captured["data"]["id"] == payment["id"] and captured["data"]["status"] == "captured"
    versions = [e["data"]["version"] for e in events(api) if e["data"]["id"] == payment["id"]]
    assert versions == sorted(set(versions)) and versions[-1] == captured["data"]["version"]


def test_a_refund_settled_by_the_chore_is_told_created_then_processed(
    api, initiate, razorpay, settings
):
    payment = initiate().json()
    handler = razorpay.pay(payment["razorpayOrderId"], outcome="captured")
    APIClient().post("/payments/confirm", handler, format="json")
    settings.RAZORPAY_READ_TIMEOUT = 0.3
    razorpay.faults(timeout_rate=1, hang_seconds=1, paths=["/v1/payments"], methods=["POST"])
    refund = api.post(
        f"/payments/{payment['id']}/refunds",
        {"amount": 400},
        format="json",
        headers={"Idempotency-Key": "r-1"},
    ).json()
    razorpay.faults()
    settings.RAZORPAY_READ_TIMEOUT = 5
    settings.CHORE_SETTLE_REFUNDS_AFTER_SECONDS = 0
    chores_ensure()

    def settled():
        chore_execute(name="settle_refunds")
        return [e for e in events(api) if e["type"] == "refund.processed"]

    wait_until(settled, timeout=15, what="the chore to settle the refund")
    told = [(e["type"], e["actor"], e["data"]["version"]) for e in events(api)][1:]
    assert told == [
        ("refund.created", "app", 1),
        ("refund.processed", "system", 3),  # 2: Razorpay's id, learnt by the first sync
        ("payment.partially_refunded", "system", 3),
    ]
    assert events(api)[1]["data"]["id"] == refund["id"]


def test_an_operators_refund_from_the_admin_is_told_as_staff_never_by_name(api, finance, paid):
    finance.post(LIST, refund_form(finance, paid, amount="4.00", reason="damaged"), follow=True)
    created = [e for e in events(api) if e["type"] == "refund.created"]
    assert [(e["actor"], e["data"]["amount"]) for e in created] == [("staff", 400)]
    assert "fiona" not in str(events(api))
