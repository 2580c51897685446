"""Events through whole flows with the simulator: a capture known only from Razorpay's
webhook, a refund settled by the worker's chore, an operator's refund from the admin. Each
change appears once in the app's feed, with the right type, actor and data, `version` growing."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rest_framework.test import APIClient

from backoffice.chores import chore_execute, chores_ensure
from backoffice.tests.test_payment_admin import refund_form
from reliability.locks import row_locked
from reliability.tests.conftest import postgres_only
from reliability.waiting import wait_until
from webhooks.tests.events import sign
from webhooks.tests.test_ingest import payment_event

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


@postgres_only
def test_two_concurrent_transitions_of_one_payment_are_told_in_the_order_of_their_versions(
    api, initiate, razorpay, live_server
):
    from payments.models import Payment

    payment = Payment.objects.get(pk=initiate().json()["id"])
    bodies = [
        json.dumps(payment_event(payment, name, status)).encode()
        for name, status in (("payment.failed", "failed"), ("payment.authorized", "authorized"))
    ]

    def deliver(index: int) -> int:
        return requests.post(
            f"{live_server.url}/webhooks/razorpay",
            data=bodies[index],
            headers={
                "Content-Type": "application/json",
                "X-Razorpay-Event-Id": f"evt_race_{index}",
                "X-Razorpay-Signature": sign(bodies[index]),
            },
            timeout=30,
        ).status_code

    with row_locked("payments_payment", payment.id) as lock, ThreadPoolExecutor(2) as pool:
        sent = [pool.submit(deliver, index) for index in range(2)]
        lock.wait_for_waiters(2)  # both transitions wait on the payment: they overlap
        lock.release()
        assert [future.result() for future in sent] == [200, 200]

    told = [e for e in events(api) if e["data"]["id"] == payment.id]
    versions = [e["data"]["version"] for e in told]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert told[-1]["type"] == "payment.authorized"  # the highest status is the last word
