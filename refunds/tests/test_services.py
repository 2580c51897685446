"""refund_apply_gateway and refund_sync: Razorpay's word on a refund, in any order, from any
input (API answer, sync, webhooks), settles it once."""

import dataclasses
import time

import pytest

from payments.models import Payment, PaymentAttempt, PaymentStatusChange, Source
from payments_service.integrations.razorpay import GatewayRefund, get_gateway
from refunds import services
from refunds.errors import RefundMismatch, RefundPaymentUnknown
from refunds.models import Refund

from .conftest import settle

pytestmark = pytest.mark.django_db


def processed_at_gateway(refund_id: str, timeout: float = 5.0) -> GatewayRefund:
    """Razorpay's refund once its settlement delay has passed."""
    deadline = time.monotonic() + timeout
    while (snapshot := get_gateway().fetch_refund(refund_id)).status == "pending":
        assert time.monotonic() < deadline, "the simulator did not settle the refund"
        time.sleep(0.05)
    return snapshot


def dashboard_refund(
    payment: dict, amount: int, key: str = "dashboard-1", speed: str = "normal"
) -> GatewayRefund:
    """A refund made in Razorpay's dashboard: this service never asked for it."""
    return get_gateway().create_refund(
        payment_id=payment["razorpayPaymentId"],
        amount=amount,
        speed=speed,
        notes={"by": "finance"},
        idempotency_key=key,
    )


def test_dashboard_refund_is_recorded_and_linked_then_processed(payment):
    made = dashboard_refund(payment, 300)
    recorded = services.refund_apply_gateway(refund=made, source=Source.WEBHOOK)
    assert recorded.payment_id == payment["id"]
    assert (recorded.razorpay_refund_id, recorded.amount, recorded.status) == (
        made.id,
        300,
        "pending",
    )
    assert (recorded.requested_by, recorded.source) == ("razorpay", "webhook")
    assert recorded.notes == {"by": "finance"}

    processed = services.refund_apply_gateway(
        refund=processed_at_gateway(made.id), source=Source.WEBHOOK
    )
    assert processed.pk == recorded.pk and processed.status == "processed"
    paid = Payment.objects.get(pk=payment["id"])
    assert (paid.status, paid.amount_refunded) == ("partially_refunded", 300)
    assert Refund.objects.count() == 1


def test_a_dashboard_refund_is_told_to_the_app_with_razorpays_refund_id(api, payment):
    made = dashboard_refund(payment, 300)
    recorded = services.refund_apply_gateway(refund=made, source=Source.WEBHOOK)
    assert api.get(f"/refunds/{recorded.id}").json()["razorpayRefundId"] == made.id
    (told,) = api.get("/events", {"type": "refund.created"}).json()["results"]
    assert told["actor"] == "razorpay"
    assert (told["data"]["id"], told["data"]["razorpayRefundId"]) == (recorded.id, made.id)
    assert (told["data"]["amount"], told["data"]["status"]) == (300, "pending")
    assert made.speed_processed
    assert told["data"]["speedProcessed"] == made.speed_processed
    assert (told["data"]["version"], recorded.version) == (1, 1)  # nothing changed unannounced


@pytest.mark.parametrize(
    ("requested", "recorded"),
    [("optimum", "optimum"), ("normal", "normal"), ("instant", "normal")],
    ids=["optimum", "normal", "a-speed-unknown-here"],
)
def test_a_dashboard_refund_keeps_the_speed_asked_of_razorpay(api, payment, requested, recorded):
    made = dashboard_refund(payment, 300, speed="normal" if requested == "instant" else requested)
    made = dataclasses.replace(made, speed_requested=requested)
    local = services.refund_apply_gateway(refund=made, source=Source.WEBHOOK)
    assert api.get(f"/refunds/{local.id}").json()["speedRequested"] == recorded


def test_refund_of_a_duplicate_capture_is_linked_but_not_counted(payment, refund):
    # The customer paid the order twice; Razorpay refunds the second capture by itself.
    PaymentAttempt.objects.create(
        payment_id=payment["id"],
        razorpay_payment_id="pay_DUPL1CATE0001",
        status="captured",
        amount=1000,
    )
    auto = GatewayRefund(
        id="rfnd_AUT0REFUND0001",
        payment_id="pay_DUPL1CATE0001",
        amount=1000,
        currency="INR",
        status="processed",
        speed_requested="normal",
        speed_processed="normal",
        created_at=0,
    )
    recorded = services.refund_apply_gateway(refund=auto, source=Source.WEBHOOK)
    assert (recorded.payment_id, recorded.status) == (payment["id"], "processed")
    paid = Payment.objects.get(pk=payment["id"])
    assert (paid.status, paid.amount_refunded) == ("captured", 0)
    assert refund(payment["id"]).json()["amount"] == 1000  # its own capture is all refundable


def test_out_of_order_created_after_processed_stays_processed(payment, refund):
    created = refund(payment["id"], amount=400).json()
    processed = processed_at_gateway(created["razorpayRefundId"])
    services.refund_apply_gateway(refund=processed, source=Source.WEBHOOK)
    late = dataclasses.replace(processed, status="pending")  # refund.created, delivered late
    after = services.refund_apply_gateway(refund=late, source=Source.WEBHOOK)
    assert after.status == "processed"
    paid = Payment.objects.get(pk=payment["id"])
    assert (paid.status, paid.amount_refunded) == ("partially_refunded", 400)
    again = services.refund_apply_gateway(refund=processed, source=Source.WEBHOOK)
    assert again.status == "processed"
    changes = PaymentStatusChange.objects.filter(payment_id=payment["id"], source="webhook")
    assert changes.count() == 1


def test_refund_of_an_unknown_payment_raises_and_records_nothing(db, razorpay):
    stranger = GatewayRefund(
        id="rfnd_AAAAAAAAAAAAAA",
        payment_id="pay_AAAAAAAAAAAAAA",
        amount=500,
        currency="INR",
        status="processed",
        speed_requested="normal",
        speed_processed="normal",
        created_at=0,
    )
    with pytest.raises(RefundPaymentUnknown) as raised:
        services.refund_apply_gateway(refund=stranger, source=Source.WEBHOOK)
    assert (raised.value.status, raised.value.code) == (404, "refund_payment_unknown")
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 500},
        {"currency": "USD"},
        {"payment_id": "pay_BBBBBBBBBBBBBB"},
        {"id": "rfnd_CCCCCCCCCCCCCC"},
    ],
)
def test_a_contradicting_refund_is_never_applied(payment, refund, change):
    created = refund(payment["id"], amount=400).json()
    processed = processed_at_gateway(created["razorpayRefundId"])
    with pytest.raises(RefundMismatch) as raised:
        services.refund_apply_gateway(
            refund=dataclasses.replace(processed, **change), source=Source.WEBHOOK
        )
    assert (raised.value.code, raised.value.extra) == (
        "refund_mismatch",
        {"refundId": created["id"]},
    )
    assert Refund.objects.get().status == "pending"
    assert Payment.objects.get(pk=payment["id"]).amount_refunded == 0


def test_a_refund_made_at_razorpay_for_more_than_its_payment_is_never_recorded(payment):
    made = dataclasses.replace(dashboard_refund(payment, 300), amount=1500)  # paid: 1000
    with pytest.raises(RefundMismatch) as raised:
        services.refund_apply_gateway(refund=made, source=Source.WEBHOOK)
    assert raised.value.code == "refund_mismatch"
    assert not Refund.objects.exists()


def test_a_processed_refund_moves_its_payment_once_and_its_history_names_the_refund(
    api, payment, refund
):
    created = refund(payment["id"], amount=400).json()
    assert settle(created["id"]).status == "processed"
    change = PaymentStatusChange.objects.filter(payment_id=payment["id"]).last()
    assert (change.from_status, change.to_status, change.reason) == (
        "captured",
        "partially_refunded",
        f"refund {created['id']} processed",
    )
    told = api.get("/events", {"type": "payment.partially_refunded"}).json()["results"]
    assert [event["data"]["amountRefunded"] for event in told] == [400]
    assert api.get(f"/payments/{payment['id']}").json() == told[0]["data"]


def test_processed_at_razorpay_after_failing_here_is_a_mismatch(payment, refund):
    created = refund(payment["id"], amount=400).json()
    processed = processed_at_gateway(created["razorpayRefundId"])
    services.refund_apply_gateway(
        refund=dataclasses.replace(processed, status="failed"), source=Source.WEBHOOK
    )
    with pytest.raises(RefundMismatch):
        services.refund_apply_gateway(refund=processed, source=Source.WEBHOOK)
    assert Refund.objects.get().status == "failed"


def test_sync_finds_a_refund_whose_answer_was_lost_instead_of_sending_it_again(payment):
    reserved = Refund.objects.create(
        payment_id=payment["id"],
        razorpay_payment_id=payment["razorpayPaymentId"],
        amount=400,
        currency="INR",
        requested_by="app:shop",
        source="api",
    )
    # It reached Razorpay, but the answer (and even the idempotency key) is gone.
    get_gateway().create_refund(
        payment_id=payment["razorpayPaymentId"],
        amount=400,
        speed="normal",
        notes={"refund_id": reserved.id},
        idempotency_key="another-key-0001",
    )
    synced = services.refund_sync(refund=reserved, source=Source.COMMAND)
    assert synced.razorpay_refund_id
    assert settle(reserved.id).status == "processed"
    assert len(get_gateway().payment_refunds(payment["razorpayPaymentId"])) == 1


def test_sync_of_a_final_refund_asks_nothing(payment, refund, razorpay):
    created = refund(payment["id"], amount=400).json()
    done = settle(created["id"])
    razorpay.faults(error_rate=1)  # any call to Razorpay would now fail
    assert services.refund_sync(refund=done, source=Source.COMMAND).status == "processed"
