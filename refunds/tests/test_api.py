"""Refunds end to end: real SDK, real HTTP, the simulator as Razorpay."""

import io
import time

import pytest
from django.core.management import call_command
from django.db import OperationalError
from rest_framework.test import APIClient

from clients.services import client_app_create
from payments.models import Payment, PaymentStatusChange
from payments_service.integrations.razorpay import get_gateway
from refunds import services
from refunds.models import Refund

from .conftest import fail_at_gateway, settle

pytestmark = pytest.mark.django_db


def gateway_refunds(payment: dict) -> list:
    return get_gateway().payment_refunds(payment["razorpayPaymentId"])


def test_refund_answers_201_with_the_pending_refund(payment, refund):
    response = refund(payment["id"], amount=400, reason="damaged", notes={"ticket": "T-1"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "paymentId",
        "amount",
        "currency",
        "status",
        "speedRequested",
        "speedProcessed",
        "reason",
        "notes",
        "razorpayRefundId",
        "failureReason",
        "createdAt",
        "updatedAt",
        "processedAt",
        "version",
    }
    assert body["id"].startswith("rfd_") and len(body["id"]) == 30
    assert (body["paymentId"], body["amount"], body["currency"]) == (payment["id"], 400, "INR")
    assert (body["status"], body["speedRequested"]) == ("pending", "normal")
    assert (body["reason"], body["notes"]) == ("damaged", {"ticket": "T-1"})
    assert body["failureReason"] is None and body["processedAt"] is None
    [at_gateway] = gateway_refunds(payment)
    assert at_gateway.id == body["razorpayRefundId"] and at_gateway.amount == 400
    assert at_gateway.notes == {"ticket": "T-1", "refund_id": body["id"], "reason": "damaged"}


def test_partial_then_rest_refunds_the_whole_payment_and_then_no_more(api, payment, refund):
    first = refund(payment["id"], key="r1", amount=400).json()
    assert settle(first["id"]).status == "processed"
    shown = api.get(f"/payments/{payment['id']}").json()
    assert (shown["status"], shown["amountRefunded"]) == ("partially_refunded", 400)

    rest = refund(payment["id"], key="r2")  # no amount: all that is left
    assert rest.status_code == 201 and rest.json()["amount"] == 600
    processed = settle(rest.json()["id"])
    assert processed.status == "processed" and processed.processed_at is not None
    shown = api.get(f"/payments/{payment['id']}").json()
    assert (shown["status"], shown["amountRefunded"]) == ("refunded", 1000)
    assert sum(r.amount for r in gateway_refunds(payment)) == 1000

    again = refund(payment["id"], key="r3", amount=100)
    assert again.status_code == 409
    assert again.json()["code"] == "payment_not_refundable"
    history = PaymentStatusChange.objects.filter(payment_id=payment["id"])
    assert [(c.to_status, c.source) for c in history][-2:] == [
        ("partially_refunded", "command"),
        ("refunded", "command"),
    ]


def test_pending_refunds_count_against_what_is_refundable(payment, refund):
    assert refund(payment["id"], key="r1", amount=400).status_code == 201
    response = refund(payment["id"], key="r2", amount=700)
    assert response.status_code == 409
    assert response.json()["code"] == "refund_exceeds_refundable"
    assert response.json()["refundable"] == 600
    assert Refund.objects.count() == 1 and len(gateway_refunds(payment)) == 1


def test_failed_refund_frees_its_amount_for_a_new_refund(api, payment, refund, razorpay):
    first = refund(payment["id"], key="r1").json()
    fail_at_gateway(razorpay, first["razorpayRefundId"])
    # Until the failure is known here, the amount stays reserved.
    assert refund(payment["id"], key="r2", amount=500).status_code == 409
    failed = settle(first["id"])
    assert (failed.status, failed.failure_reason) == ("failed", "Failed at Razorpay.")
    assert api.get(f"/refunds/{first['id']}").json()["status"] == "failed"

    second = refund(payment["id"], key="r3")
    assert second.status_code == 201 and second.json()["amount"] == 1000
    assert settle(second.json()["id"]).status == "processed"
    assert api.get(f"/payments/{payment['id']}").json()["status"] == "refunded"


def test_gateway_refusal_fails_the_refund_and_answers_400(payment, refund):
    # Refunded in Razorpay's dashboard, unknown here: Razorpay refuses our full refund.
    get_gateway().create_refund(
        payment_id=payment["razorpayPaymentId"],
        amount=600,
        speed="normal",
        notes={},
        idempotency_key="dashboard-refund-1",
    )
    response = refund(payment["id"], key="r1")
    assert response.status_code == 400
    assert response.json()["code"] == "gateway_rejected"
    assert "unrefunded amount" in response.json()["detail"]
    failed = Refund.objects.get()
    assert failed.status == "failed" and "unrefunded amount" in failed.failure_reason
    assert len(gateway_refunds(payment)) == 1
    # The failed refund holds nothing: a refund of what is left here goes through.
    assert refund(payment["id"], key="r2", amount=400).status_code == 201


# --- idempotency ------------------------------------------------------------------------------
def test_same_key_and_body_replays_the_refund(payment, refund):
    first = refund(payment["id"], key="same", amount=400, notes={"a": "1"})
    second = refund(payment["id"], key="same", notes={"a": "1"}, amount=400)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1 and len(gateway_refunds(payment)) == 1


def test_a_request_that_failed_after_reserving_is_resumed_by_its_retry_not_made_again(
    payment, refund, monkeypatch
):
    def database_lost(**kwargs):
        raise OperationalError("the database went away after Razorpay answered")

    with monkeypatch.context() as patch:
        patch.setattr(services, "refund_apply_gateway", database_lost)
        failed = refund(payment["id"], key="k", amount=400)
    assert failed.status_code == 503
    reserved = Refund.objects.get()
    assert (reserved.status, reserved.razorpay_refund_id) == ("pending", None)

    retried = refund(payment["id"], key="k", amount=400)
    assert retried.status_code == 201, retried.json()
    assert retried.json()["id"] == reserved.id  # the same refund, settled: not a second one
    assert retried.json()["razorpayRefundId"]
    assert Refund.objects.count() == 1
    assert [r.notes["refund_id"] for r in gateway_refunds(payment)] == [reserved.id]


def test_same_key_with_another_body_is_422(payment, refund):
    assert refund(payment["id"], key="same", amount=400).status_code == 201
    response = refund(payment["id"], key="same", amount=500)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Refund.objects.count() == 1


def test_refund_without_idempotency_key_is_400(api, payment):
    response = api.post(f"/payments/{payment['id']}/refunds", {"amount": 400}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"


def test_gateway_timeout_leaves_the_refund_pending_and_sync_settles_it_once(
    payment, refund, razorpay, settings
):
    settings.RAZORPAY_READ_TIMEOUT = 0.3
    razorpay.faults(timeout_rate=1, hang_seconds=1, paths=["/v1/payments"], methods=["POST"])
    response = refund(payment["id"], amount=400)
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["razorpayRefundId"]) == ("pending", None)

    razorpay.faults()
    # sync_refunds re-sends it (same key), then sees Razorpay settle it after its delay.
    deadline = time.monotonic() + 5
    while Refund.objects.get().status == "pending" and time.monotonic() < deadline:
        call_command("sync_refunds", stdout=io.StringIO())
        time.sleep(0.05)
    refund_row = Refund.objects.get()
    assert refund_row.status == "processed"
    [at_gateway] = gateway_refunds(payment)
    assert at_gateway.id == refund_row.razorpay_refund_id
    assert at_gateway.notes["refund_id"] == refund_row.id
    assert Payment.objects.get(pk=payment["id"]).amount_refunded == 400


# --- reads and ownership ----------------------------------------------------------------------
def test_list_and_get_refunds_of_own_payment(api, payment, refund):
    ids = [refund(payment["id"], key=f"r{i}", amount=200).json()["id"] for i in range(3)]
    listed = api.get(f"/payments/{payment['id']}/refunds?pageSize=2").json()
    assert listed["count"] == 3 and listed["previous"] is None and listed["next"]
    assert [r["id"] for r in listed["results"]] == ids[::-1][:2]
    rest = api.get(listed["next"]).json()
    assert [r["id"] for r in rest["results"]] == [ids[0]]
    assert api.get(f"/refunds/{ids[1]}").json()["amount"] == 200


def test_another_apps_payment_and_refunds_are_404(payment, refund):
    mine = refund(payment["id"], amount=400).json()
    _, other_key = client_app_create(name="other")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {other_key}")
    response = refund(payment["id"], key="steal", client=other, amount=400)
    assert response.status_code == 404 and response.json()["code"] == "payment_not_found"
    assert other.get(f"/payments/{payment['id']}/refunds").status_code == 404
    assert other.get(f"/refunds/{mine['id']}").json()["code"] == "refund_not_found"
    assert Refund.objects.count() == 1


def test_unknown_payment_and_refund_are_404(api, refund, db):
    assert refund("pmt_unknown", amount=400).status_code == 404
    assert refund("pmt_" + "X" * 80, amount=400).status_code == 404  # longer than any id
    assert api.get("/payments/pmt_unknown/refunds").status_code == 404
    assert api.get("/refunds/rfd_unknown").status_code == 404


def test_refunds_need_an_api_key(payment):
    assert APIClient().get(f"/payments/{payment['id']}/refunds").status_code == 401
