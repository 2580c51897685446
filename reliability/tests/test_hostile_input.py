"""Input that the schema fuzzing found to break the service on PostgreSQL, which refuses NUL
(0x00) in text and JSON: wherever a NUL byte arrives (an id in the path, a metadata or notes
key, a webhook body), the answer is a 4xx problem, never a 500, and nothing is stored half.
On SQLite, which stores NUL, the same requests must get the same answers.

The same for what no column or encoder takes and no check stopped: JSON nested past any
parser's stack, lone surrogates (valid JSON escapes, not Unicode), strings longer than their
column (a DataError on PostgreSQL, silently kept on SQLite)."""

import json

import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from clients.models import ClientApp, IdempotencyKey
from conftest import INITIATE_BODY
from payments.models import Payment, PaymentAttempt
from payments.serializers import PaymentConfirmInput, PaymentInitiateInput
from payments_service.serializers import NotesField
from refunds.models import Refund
from refunds.serializers import RefundCreateInput
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


# --- Input that reaches no parser limit or column check: a 4xx, never a 500 ----------------

DEEP = "[" * 50_000 + "]" * 50_000
SURROGATE = "\ud800"  # valid as a JSON escape, not as Unicode: nothing can encode it


@pytest.fixture
def captured_payment(api, initiate, sim) -> Payment:
    order_id = initiate().json()["razorpayOrderId"]
    handler = sim.pay(order_id, outcome="captured")
    assert APIClient().post("/payments/confirm", handler, format="json").status_code == 200
    return Payment.objects.get()


@pytest.fixture
def post_raw(api, captured_payment):
    """POSTs a raw JSON body to a write endpoint, as the caller that endpoint expects."""

    def send(endpoint: str, body: str):
        client, path = {
            "initiate": (api, "/payments/initiate"),
            "confirm": (APIClient(), "/payments/confirm"),  # unauthenticated
            "refund": (api, f"/payments/{captured_payment.id}/refunds"),
        }[endpoint]
        return client.post(
            path, body, content_type="application/json", headers={"Idempotency-Key": "hostile"}
        )

    return send


@pytest.mark.parametrize("endpoint", ["initiate", "confirm", "refund"])
@pytest.mark.parametrize(
    "body",
    [DEEP, '{"metadata": ' + "[" * 40 + "]" * 40 + "}"],
    ids=["50000-levels", "past-the-depth-limit"],
)
def test_deeply_nested_json_is_malformed_json(post_raw, endpoint, body):
    assert_problem(post_raw(endpoint, body), 400, "malformed_json")
    assert not IdempotencyKey.objects.filter(key="hostile").exists()


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("initiate", {**INITIATE_BODY, "metadata": {"productId": SURROGATE}}, "metadata.productId"),
        ("initiate", {**INITIATE_BODY, "metadata": {f"a{SURROGATE}": "x"}}, "metadata"),
        ("initiate", {**INITIATE_BODY, "externalRef": f"ref{SURROGATE}"}, "externalRef"),
        ("confirm", {"razorpay_order_id": SURROGATE}, "razorpay_order_id"),
        ("refund", {"amount": 100, "reason": f"damaged {SURROGATE}"}, "reason"),
        ("refund", {"amount": 100, "notes": {"why": SURROGATE}}, "notes.why"),
        ("refund", {"amount": 100, "notes": {SURROGATE: "x"}}, "notes"),
    ],
    ids=["metadata", "metadata-key", "externalRef", "confirm", "reason", "notes", "notes-key"],
)
def test_a_lone_surrogate_is_invalid_input_naming_the_field(post_raw, endpoint, body, field):
    # json.dumps escapes it as \ud800, exactly what a hostile client sends.
    response = post_raw(endpoint, json.dumps(body))
    problem = assert_problem(response, 400, "validation_error")
    assert field in problem["errors"], problem["errors"]
    assert not IdempotencyKey.objects.filter(key="hostile").exists()  # released: may retry
    assert Payment.objects.count() == 1 and not Refund.objects.exists()


def test_an_email_longer_than_its_column_is_invalid_input(initiate, sim):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example"  # well-formed, 255 chars
    body = assert_problem(initiate(email=email), 400, "validation_error")
    assert "email" in body["errors"]
    assert not Payment.objects.exists()


def test_an_email_as_long_as_its_column_is_taken(initiate, sim):
    email = "a" * 63 + "@" + ".".join(["b" * 60] * 3) + ".example"
    assert len(email) == 254
    response = initiate(email=email)
    assert response.status_code == 201, response.json()
    assert Payment.objects.get().email == email


def _column(model, name: str) -> int | None:
    return model._meta.get_field(name).max_length


# Every string an input serializer takes, and the column it is stored in or looked up by: its
# max_length must fit that column (a longer one is a DataError, a 500, on PostgreSQL).
COLUMNS = {
    (PaymentInitiateInput, "externalRef"): (Payment, "external_ref"),
    (PaymentInitiateInput, "sourceApp"): (ClientApp, "name"),
    (PaymentInitiateInput, "email"): (Payment, "email"),
    (PaymentInitiateInput, "contact"): (Payment, "contact"),
    (PaymentConfirmInput, "razorpay_order_id"): (Payment, "razorpay_order_id"),
    (PaymentConfirmInput, "razorpay_payment_id"): (PaymentAttempt, "razorpay_payment_id"),
    (PaymentConfirmInput, "razorpay_signature"): None,  # compared, never stored
    (RefundCreateInput, "reason"): (Refund, "reason"),
}


@pytest.mark.parametrize(
    "serializer", [PaymentInitiateInput, PaymentConfirmInput, RefundCreateInput]
)
def test_every_input_string_field_fits_its_column(serializer):
    for name, field in serializer().fields.items():
        if not isinstance(field, serializers.CharField):
            continue
        assert (serializer, name) in COLUMNS, f"{serializer.__name__}.{name}: which column?"
        assert field.max_length is not None, f"{serializer.__name__}.{name} has no max_length"
        column = COLUMNS[serializer, name]
        if column is not None:
            assert field.max_length <= _column(*column), (serializer.__name__, name)


@pytest.mark.parametrize("serializer", [PaymentInitiateInput, RefundCreateInput])
def test_metadata_and_notes_keys_and_values_fit_razorpay_notes(serializer):
    # JSON columns have no limit of their own: Razorpay's notes (256 characters) are theirs.
    notes = next(f for f in serializer().fields.values() if isinstance(f, NotesField))
    for value in ({"k" * 65: "v"}, {"k": "v" * 257}):
        with pytest.raises(serializers.ValidationError):
            notes.run_validation(value)
    assert notes.run_validation({"k" * 64: "v" * 256}) == {"k" * 64: "v" * 256}
