"""refund.created / .processed / .failed: settle our refunds, record dashboard ones."""

import pytest
from rest_framework.test import APIClient

from payments.models import Payment, PaymentStatusChange
from refunds.models import Refund
from webhooks.models import WebhookEvent
from webhooks.tests.events import deliver, event, payment_entity, refund_entity

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(initiate, razorpay) -> Payment:
    body = initiate().json()
    handler = razorpay.pay(body["razorpayOrderId"])
    APIClient().post("/payments/confirm", handler, format="json")
    return Payment.objects.get(pk=body["id"])


def refund_event(payment: Payment, name: str, refund: dict) -> dict:
    snapshot = payment_entity(
        order_id=payment.razorpay_order_id,
        payment_id=payment.razorpay_payment_id,
        status="captured",
        amount_refunded=refund["amount"],
        refund_status="partial",
    )
    return event(name, snapshot, refund=refund)


def test_refund_processed_settles_our_pending_refund(client, api, captured):
    ours = api.post(
        f"/payments/{captured.id}/refunds",
        {"amount": 400},
        format="json",
        headers={"Idempotency-Key": "r1"},
    ).json()
    local = Refund.objects.get(pk=ours["id"])
    entity = refund_entity(
        razorpay_id=local.razorpay_refund_id or "rfnd_Webhook000001",
        payment_id=captured.razorpay_payment_id,
        amount=400,
        notes={"refund_id": local.id},
    )
    response = deliver(client, refund_event(captured, "refund.processed", entity))
    assert response.json()["status"] == "processed"
    local.refresh_from_db()
    assert local.status == "processed"
    captured.refresh_from_db()
    assert (captured.status, captured.amount_refunded) == ("partially_refunded", 400)
    stored = WebhookEvent.objects.get()
    assert (stored.payment_id, stored.refund_id) == (captured.id, local.id)


def test_two_refunds_of_one_payment_are_both_applied(client, captured):
    for number in (1, 2):
        entity = refund_entity(
            razorpay_id=f"rfnd_Dashboard0000{number}",
            payment_id=captured.razorpay_payment_id,
            amount=300,
        )
        deliver(client, refund_event(captured, "refund.processed", entity))
    assert Refund.objects.filter(payment=captured, status="processed").count() == 2
    captured.refresh_from_db()
    assert captured.amount_refunded == 600


def test_dashboard_refund_created_then_processed_is_recorded_once(client, captured):
    created = refund_entity(
        razorpay_id="rfnd_Dashboard00009",
        payment_id=captured.razorpay_payment_id,
        amount=1000,
        status="pending",
    )
    processed = {**created, "status": "processed"}
    deliver(client, refund_event(captured, "refund.processed", processed))
    deliver(client, refund_event(captured, "refund.created", created))  # late, out of order
    refund = Refund.objects.get()
    assert (refund.status, refund.requested_by, refund.amount) == ("processed", "razorpay", 1000)
    captured.refresh_from_db()
    assert captured.status == "refunded"


def test_refund_failed_frees_the_amount(client, api, captured, razorpay):
    razorpay.configure(refund_delay=60)  # stays pending at Razorpay until the webhook says
    ours = api.post(
        f"/payments/{captured.id}/refunds",
        {"amount": 1000},
        format="json",
        headers={"Idempotency-Key": "r1"},
    ).json()
    local = Refund.objects.get(pk=ours["id"])
    assert local.status == "pending"
    failed = razorpay.http.post(f"{razorpay.url}/_sim/refunds/{local.razorpay_refund_id}/fail")
    assert failed.status_code == 200
    entity = refund_entity(
        razorpay_id=local.razorpay_refund_id,
        payment_id=captured.razorpay_payment_id,
        amount=1000,
        status="failed",
        notes={"refund_id": local.id},
    )
    deliver(client, refund_event(captured, "refund.failed", entity))
    local.refresh_from_db()
    assert local.status == "failed"
    again = api.post(
        f"/payments/{captured.id}/refunds",
        {"amount": 1000},
        format="json",
        headers={"Idempotency-Key": "r2"},
    )
    assert again.status_code == 201


def test_refund_of_an_unknown_payment_is_ignored(client, razorpay):
    entity = refund_entity(
        razorpay_id="rfnd_Unknown0000001", payment_id="pay_Unknown00000001", amount=100
    )
    snapshot = payment_entity(order_id="order_Unknown0000001", payment_id="pay_Unknown00000001")
    response = deliver(client, event("refund.processed", snapshot, refund=entity))
    assert response.json()["status"] == "ignored"
    assert not Refund.objects.exists()


def test_a_refund_event_before_its_payments_capture_captures_then_refunds_it(
    client, order, razorpay
):
    # Paid at Razorpay; neither confirm nor payment.captured has reached us yet.
    paid = razorpay.pay(order.razorpay_order_id)
    entity = refund_entity(
        razorpay_id="rfnd_Dashboard00010", payment_id=paid["razorpay_payment_id"], amount=400
    )
    snapshot = payment_entity(
        order_id=order.razorpay_order_id,
        payment_id=paid["razorpay_payment_id"],
        amount_refunded=400,
        refund_status="partial",
    )
    response = deliver(client, event("refund.processed", snapshot, refund=entity))
    assert (response.status_code, response.json()["status"]) == (200, "processed")
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == ("partially_refunded", 400)
    stored = WebhookEvent.objects.get()
    changes = PaymentStatusChange.objects.filter(payment=order, source="webhook")
    assert [(c.to_status, c.actor) for c in changes] == [
        ("captured", stored.event_id),
        ("partially_refunded", stored.event_id),
    ]


def test_a_refund_event_without_a_payment_of_ours_is_ignored_naming_razorpays_payment(
    client, razorpay
):
    entity = refund_entity(
        razorpay_id="rfnd_Unknown0000002", payment_id="pay_Unknown00000002", amount=100
    )
    envelope = event("refund.processed", {}, refund=entity)
    del envelope["payload"]["payment"]  # the refund alone: nothing to capture first
    envelope["contains"] = ["refund"]
    response = deliver(client, envelope)
    assert response.json()["status"] == "ignored"
    assert "pay_Unknown00000002" in WebhookEvent.objects.get().last_error
    assert not Refund.objects.exists()
