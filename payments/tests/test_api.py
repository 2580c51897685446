"""The seed's initiate and confirm, end to end: real SDK, real HTTP, the simulator as Razorpay."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from clients import idempotency
from clients.services import client_app_create
from conftest import INITIATE_BODY as BODY
from conftest import SIM_KEY_ID, SIM_KEY_SECRET
from payments import services
from payments.models import Payment, PaymentStatusChange
from payments_service.integrations.razorpay import get_gateway

pytestmark = pytest.mark.django_db


def confirm(handler: dict):
    """What a browser front end sends after Razorpay Checkout: no API key."""
    return APIClient().post("/payments/confirm", handler, format="json")


def sign(order_id: str, payment_id: str) -> str:
    message = f"{order_id}|{payment_id}".encode()
    return hmac.new(SIM_KEY_SECRET.encode(), message, hashlib.sha256).hexdigest()


def test_initiate_answers_201_with_what_checkout_needs(initiate, razorpay):
    response = initiate()
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("pmt_") and len(body["id"]) == 30
    assert body["status"] == "created"
    assert body["amount"] == 1000 and body["currency"] == "INR"
    assert body["externalRef"] == "order_123" and body["sourceApp"] == "shop"
    assert body["razorpayOrderId"].startswith("order_")
    assert body["checkout"] == {
        "keyId": SIM_KEY_ID,
        "orderId": body["razorpayOrderId"],
        "amount": 1000,
        "currency": "INR",
        "prefill": {"email": "customer@example.com", "contact": "+919876543210"},
    }
    order = get_gateway().fetch_order(body["razorpayOrderId"])
    assert (order.amount, order.currency, order.receipt) == (1000, "INR", body["id"])
    assert order.notes["payment_id"] == body["id"]
    assert order.notes["productId"] == "prod_123"


def test_pay_then_confirm_captures_and_get_shows_it(api, initiate, razorpay):
    payment = initiate().json()
    handler = razorpay.pay(payment["razorpayOrderId"], outcome="captured")
    response = confirm(handler)
    assert response.status_code == 200
    assert response.json()["status"] == "captured"
    assert response.json()["razorpayPaymentId"] == handler["razorpay_payment_id"]
    assert response.json()["checkout"] is None
    shown = api.get(f"/payments/{payment['id']}").json()
    assert shown["status"] == "captured"
    history = PaymentStatusChange.objects.filter(payment_id=payment["id"])
    assert [(c.from_status, c.to_status, c.source) for c in history] == [
        ("", "created", "api"),
        ("created", "captured", "api"),
    ]


def test_confirm_captures_an_authorized_payment(initiate, razorpay):
    payment = initiate().json()
    handler = razorpay.pay(payment["razorpayOrderId"], outcome="authorized")
    response = confirm(handler)
    assert response.json()["status"] == "captured"
    assert get_gateway().fetch_payment(handler["razorpay_payment_id"]).status == "captured"


def test_failed_attempt_then_success_on_the_same_order(initiate, razorpay):
    payment = initiate().json()
    failure = razorpay.pay(payment["razorpayOrderId"], outcome="failed")
    assert failure["error"]["code"] == "BAD_REQUEST_ERROR"
    handler = razorpay.pay(payment["razorpayOrderId"], outcome="captured")
    assert confirm(handler).json()["status"] == "captured"


def test_confirming_twice_answers_the_same_payment(initiate, razorpay):
    payment = initiate().json()
    handler = razorpay.pay(payment["razorpayOrderId"])
    first, second = confirm(handler), confirm(handler)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert PaymentStatusChange.objects.filter(payment_id=payment["id"]).count() == 2


def test_bad_signature_is_rejected_400(initiate, razorpay):
    payment = initiate().json()
    handler = razorpay.pay(payment["razorpayOrderId"])
    response = confirm({**handler, "razorpay_signature": "0" * 64})
    assert response.status_code == 400
    assert response.json()["code"] == "signature_invalid"
    assert Payment.objects.get(pk=payment["id"]).status == "created"


def test_payment_of_another_order_is_rejected_even_when_signed(initiate, razorpay):
    expensive = initiate(key="a", externalRef="big", amount=500000).json()
    cheap = initiate(key="b", externalRef="small", amount=100).json()
    paid_cheaply = razorpay.pay(cheap["razorpayOrderId"])["razorpay_payment_id"]
    response = confirm(
        {
            "razorpay_order_id": expensive["razorpayOrderId"],
            "razorpay_payment_id": paid_cheaply,
            "razorpay_signature": sign(expensive["razorpayOrderId"], paid_cheaply),
        }
    )
    assert response.status_code == 400
    assert response.json()["code"] == "payment_mismatch"
    assert Payment.objects.get(pk=expensive["id"]).status == "created"


def test_confirm_of_unknown_order_is_404(razorpay, db):
    response = confirm(
        {
            "razorpay_order_id": "order_AAAAAAAAAAAAAA",
            "razorpay_payment_id": "pay_AAAAAAAAAAAAAA",
            "razorpay_signature": "a" * 64,
        }
    )
    assert response.status_code == 404
    assert response.json()["code"] == "payment_not_found"


def test_confirm_with_missing_fields_is_400_with_field_errors(db):
    response = confirm({"razorpay_order_id": "order_x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"razorpay_payment_id", "razorpay_signature"}


# --- idempotency ------------------------------------------------------------------------------
def test_same_key_same_body_replays_the_original_answer(api, initiate, razorpay):
    first = initiate()
    reordered = dict(reversed(list(BODY.items())))
    second = api.post(
        "/payments/initiate", reordered, format="json", headers={"Idempotency-Key": "key-1"}
    )
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Payment.objects.count() == 1


def test_same_key_different_body_is_422(initiate, razorpay):
    initiate()
    response = initiate(amount=2000)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_missing_idempotency_key_is_400(api, razorpay):
    response = api.post("/payments/initiate", {"amount": 1000}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("key", ["k" * 256, "nul\x00byte", "tab\tkey", "clé"])
def test_an_idempotency_key_too_long_or_not_printable_ascii_is_400(initiate, razorpay, key):
    response = initiate(key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert Payment.objects.count() == 0


def test_idempotency_keys_are_scoped_per_client_app(initiate, razorpay):
    _, other_key = client_app_create(name="other")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {other_key}")
    mine = initiate(key="shared")
    theirs = initiate(key="shared", client=other, sourceApp="other")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_same_external_ref_with_a_new_key_returns_the_unpaid_payment(initiate, razorpay):
    first = initiate(key="k1").json()
    again = initiate(key="k2")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["razorpayOrderId"] == first["razorpayOrderId"]


def test_same_external_ref_with_another_amount_is_409(initiate, razorpay):
    first = initiate(key="k1").json()
    response = initiate(key="k2", amount=5000)
    assert response.status_code == 409
    assert response.json()["code"] == "payment_conflict"
    assert response.json()["paymentId"] == first["id"]


def test_same_external_ref_once_paid_is_409(initiate, razorpay):
    first = initiate(key="k1").json()
    confirm(razorpay.pay(first["razorpayOrderId"]))
    response = initiate(key="k2")
    assert response.status_code == 409
    assert response.json()["code"] == "payment_already_paid"


# --- gateway failures -------------------------------------------------------------------------
def test_gateway_5xx_is_502_and_a_retry_with_the_same_key_completes_the_payment(initiate, razorpay):
    razorpay.faults(error_rate=1.0, error_status=503, error_body="html")
    failed = initiate()
    assert failed.status_code == 502
    assert failed.json()["code"] == "gateway_unavailable"
    assert failed["Retry-After"].isdigit()
    payment = Payment.objects.get()
    assert payment.razorpay_order_id is None

    razorpay.faults()
    retried = initiate()
    assert retried.status_code == 201
    assert retried.json()["id"] == payment.id
    assert len(get_gateway().find_orders_by_receipt(payment.id)) == 1


def test_gateway_timeout_is_504_and_the_retry_finds_the_order_instead_of_a_second(
    initiate, razorpay, settings
):
    settings.RAZORPAY_READ_TIMEOUT = 0.5
    razorpay.faults(timeout_rate=1.0, hang_seconds=1, paths=["/v1/orders"], methods=["POST"])
    timed_out = initiate()
    assert timed_out.status_code == 504
    assert timed_out.json()["code"] == "gateway_timeout"

    razorpay.faults()
    retried = initiate()
    assert retried.status_code == 201
    payment_id = retried.json()["id"]
    orders = get_gateway().find_orders_by_receipt(payment_id)
    assert [order.id for order in orders] == [retried.json()["razorpayOrderId"]]


def test_retrying_one_of_two_failed_initiations_completes_it_and_leaves_the_other_unclaimed(
    initiate, razorpay
):
    razorpay.faults(error_rate=1.0, error_status=503)
    assert initiate(key="a1", externalRef="order_a").status_code == 502
    assert initiate(key="b1", externalRef="order_b").status_code == 502
    razorpay.faults()

    retried = initiate(key="a2", externalRef="order_a")
    assert retried.status_code == 201
    other = Payment.objects.get(external_ref="order_b")
    assert (other.razorpay_order_id, other.order_claimed_until) == (None, None)
    assert initiate(key="b2", externalRef="order_b").status_code == 201


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no handler releases anything."""


def test_crash_after_order_creation_is_recovered_by_receipt(
    initiate, razorpay, settings, monkeypatch
):
    settings.IDEMPOTENCY_LOCK_SECONDS = 0  # the crashed request's leases lapse at once
    created = []

    def create_order_then_crash(payment, *, recovering):
        created.append(real_order_for(payment, recovering=recovering))
        raise Crash

    real_order_for = services._order_for
    with monkeypatch.context() as patch:
        patch.setattr(services, "_order_for", create_order_then_crash)
        patch.setattr(idempotency, "idempotency_release", lambda claim: None)
        with pytest.raises(Crash):
            initiate()
    payment = Payment.objects.get()
    assert payment.razorpay_order_id is None

    retried = initiate()
    assert retried.status_code == 201
    assert retried.json()["id"] == payment.id
    assert retried.json()["razorpayOrderId"] == created[0].id
    assert [order.id for order in get_gateway().find_orders_by_receipt(payment.id)] == [
        created[0].id
    ]


def test_a_payment_whose_order_another_request_is_making_is_409_until_that_claim_lapses(
    initiate, razorpay, settings, monkeypatch
):
    """Whoever makes the order holds a claim on the payment; a request that died holding it
    (or is still at work) makes every other request for the externalRef wait, not make a
    second order, until the claim lapses."""

    def crash_before_the_order(payment, *, recovering):
        raise Crash

    def request_that_dies(key: str):
        with monkeypatch.context() as patch:
            patch.setattr(services, "_order_for", crash_before_the_order)
            with pytest.raises(Crash):
                initiate(key=key)

    def lapse_claims():
        later = services.now() + timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS + 1)
        monkeypatch.setattr(services, "now", lambda: later)

    def assert_waits(key: str):
        busy = initiate(key=key)
        assert busy.status_code == 409
        assert busy.json()["code"] == "payment_in_progress"
        assert busy["Retry-After"].isdigit()

    request_that_dies("k1")  # inserted the payment with its claim
    payment = Payment.objects.get()
    assert_waits("k2")
    lapse_claims()
    request_that_dies("k3")  # took the lapsed claim over, and died holding it in turn
    assert_waits("k4")
    lapse_claims()

    completed = initiate(key="k5")
    assert completed.status_code == 201
    assert completed.json()["id"] == payment.id
    orders = get_gateway().find_orders_by_receipt(payment.id)
    assert [order.id for order in orders] == [completed.json()["razorpayOrderId"]]
