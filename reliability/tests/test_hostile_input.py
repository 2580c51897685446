"""Input that the schema fuzzing found to break the service on PostgreSQL, which refuses NUL
(0x00) in text and JSON: wherever a NUL byte arrives (an id in the path, a metadata or notes
key, a webhook body), the answer is a 4xx problem, never a 500, and nothing is stored half.
On SQLite, which stores NUL, the same requests must get the same answers."""

import pytest
from rest_framework.test import APIClient

from payments.models import Payment
from reliability.clients import assert_problem
from webhooks.models import RejectedDelivery, WebhookEvent
from webhooks.tests.events import sign

pytestmark = pytest.mark.django_db

NUL = "\x00"


@pytest.mark.parametrize("path", ["/payments/pmt_%00x", "/refunds/rfd_%00x"])
def test_an_id_with_a_nul_byte_is_simply_not_found(api, path):
    assert_problem(api.get(path), 404, {"not_found", "payment_not_found", "refund_not_found"})


def test_initiate_with_a_nul_byte_in_a_metadata_key_is_invalid_input(initiate, sim):
    response = initiate(metadata={f"product{NUL}Id": "prod_123"})
    body = assert_problem(response, 400, "validation_error")
    assert "metadata" in body["errors"]
    assert not Payment.objects.exists()


def test_refund_with_a_nul_byte_in_a_notes_key_is_invalid_input(api, initiate, sim):
    order_id = initiate().json()["razorpayOrderId"]
    handler = sim.pay(order_id, outcome="captured")
    assert APIClient().post("/payments/confirm", handler, format="json").status_code == 200
    payment = Payment.objects.get()
    response = api.post(
        f"/payments/{payment.id}/refunds",
        {"amount": 100, "notes": {f"why{NUL}": "damaged"}},
        format="json",
        headers={"Idempotency-Key": "r1"},
    )
    body = assert_problem(response, 400, "validation_error")
    assert "notes" in body["errors"]
    assert not payment.refunds.exists()


@pytest.mark.parametrize(
    ("signature", "code"),
    [("", "signature_missing"), ("0" * 64, "signature_invalid"), (None, "malformed_payload")],
    ids=["unsigned", "badly-signed", "signed-but-not-json"],
)
def test_webhook_body_with_a_nul_byte_is_refused_and_recorded(sim, signature, code):
    body = b'{"event": "payment.captured\x00"}\x00'
    headers = {"X-Razorpay-Signature": sign(body) if signature is None else signature}
    response = APIClient().post(
        "/webhooks/razorpay", body, content_type="application/json", headers=headers
    )
    assert_problem(response, 400, code)
    assert RejectedDelivery.objects.get().reason == code  # kept for diagnostics, NUL replaced
    assert not WebhookEvent.objects.exists()
