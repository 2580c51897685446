"""Disputes (§4.4): opened and resolved through the control API, answered through the SDK's
`client.dispute` and `client.document`, with Razorpay's rules and webhooks."""

import json
import re
import time

import pytest
import razorpay

from razorpay_simulator import Simulator

from .support import KEY_ID, KEY_SECRET, Control, fixture, rejected

DISPUTE_ID = re.compile(r"^disp_[0-9A-Za-z]{14}$")
DOCUMENT_ID = re.compile(r"^doc_[0-9A-Za-z]{14}$")
PDF = ("proof.pdf", b"%PDF-1.4\n% a delivery receipt\n", "application/pdf")


def _open(control, payment_id, expect=200, **body):
    return control.post(f"/_sim/payments/{payment_id}/dispute", body, expect=expect)


def _resolve(control, dispute_id, outcome, expect=200):
    return control.post(f"/_sim/disputes/{dispute_id}/resolve", {"outcome": outcome}, expect)


def _dispute_events(receiver, count):
    """The first `count` dispute webhooks delivered (the payment's own come first)."""
    bodies = [json.loads(body) for _, body in receiver.wait_for(3 + count)]
    return [b for b in bodies if b["event"].startswith("payment.dispute.")]


def _document(client, file=PDF):
    return client.document.create({"file": file, "purpose": "dispute_evidence"})


@pytest.fixture
def dispute(control, captured):
    return _open(control, captured["id"], amount=20000, reason_code="fraud", phase="chargeback")


def test_a_dispute_has_razorpays_shape_and_the_sdk_fetches_and_lists_it(
    client, control, captured, dispute
):
    assert DISPUTE_ID.match(dispute["id"])
    assert (dispute["entity"], dispute["payment_id"], dispute["currency"]) == (
        "dispute",
        captured["id"],
        "INR",
    )
    assert (dispute["amount"], dispute["amount_deducted"], dispute["status"]) == (20000, 0, "open")
    assert (dispute["reason_code"], dispute["phase"]) == ("fraud", "chargeback")
    assert dispute["respond_by"] > dispute["created_at"] >= int(time.time()) - 5
    for name in ("dispute.json", "dispute_contest.json", "dispute_accept.json"):
        assert set(fixture(name)) <= set(dispute)
        evidence = fixture(name).get("evidence", {})
        assert set(evidence) <= set(dispute["evidence"])
    assert dispute["evidence"]["amount"] == 20000 and dispute["evidence"]["submitted_at"] is None

    assert client.dispute.fetch(dispute["id"]) == dispute
    second = _open(control, captured["id"])  # a second dispute, of the whole amount
    listed = client.dispute.all({"count": 10})
    assert listed["entity"] == "collection" and listed["count"] == 2
    assert [d["id"] for d in listed["items"]] == [second["id"], dispute["id"]]  # newest first
    assert second["amount"] == captured["amount"]
    assert set(fixture("dispute_collection.json")["items"][0]) <= set(second)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"amount": 50001}, "The dispute amount must be at least 1 and at most the payment's."),
        ({"phase": "appeal"}, "The selected phase is invalid."),
        ({"colour": "red"}, "colour is/are not required and should not be sent"),
    ],
)
def test_opening_a_dispute_checks_its_fields(control, captured, body, message):
    answer = _open(control, captured["id"], expect=400, **body)
    assert answer["error"]["description"] == message


def test_only_a_captured_payment_can_be_disputed(client, control, order):
    authorized = control.pay(order["id"], "authorized")["razorpay_payment_id"]
    answer = _open(control, authorized, expect=400)
    assert answer["error"]["description"] == "Only captured payments can be disputed"


def test_accepting_loses_the_dispute_and_deducts_its_amount(client, dispute):
    accepted = client.dispute.accept(dispute["id"])

    assert (accepted["status"], accepted["amount_deducted"]) == ("lost", 20000)
    assert set(fixture("dispute_accept.json")) <= set(accepted)
    with rejected("The dispute is lost: only an open dispute can be accepted or contested."):
        client.dispute.accept(dispute["id"])


def test_a_document_upload_answers_a_document(client):
    document = _document(client)

    assert DOCUMENT_ID.match(document["id"])
    assert document["entity"] == "document" and document["purpose"] == "dispute_evidence"
    assert (document["name"], document["mime_type"], document["size"]) == (
        "proof.pdf",
        "application/pdf",
        len(PDF[1]),
    )
    assert client.document.fetch(document["id"]) == document


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"purpose": "dispute_evidence"}, "The file field is required."),
        ({"file": PDF, "purpose": "kyc"}, "The selected purpose is invalid."),
        (
            {"file": ("notes.txt", b"hello", "text/plain"), "purpose": "dispute_evidence"},
            "The file must be a file of type: jpg, jpeg, png, pdf.",
        ),
    ],
)
def test_a_document_upload_is_checked(client, data, message):
    with rejected(message):
        client.document.create(data)


def test_a_draft_contest_keeps_the_dispute_open_and_a_submitted_one_sends_it_for_review(
    client, control, receiver, dispute
):
    document = _document(client)
    with rejected("At least one document is required to submit."):
        client.dispute.contest(dispute["id"], {"summary": "delivered", "action": "submit"})

    draft = client.dispute.contest(
        dispute["id"],
        {
            "summary": "goods delivered",
            "amount": 15000,
            "shipping_proof": [document["id"]],
            "others": [{"type": "receipt_signed_by_customer", "document_ids": [document["id"]]}],
            "action": "draft",
        },
    )
    assert draft["status"] == "open" and draft["evidence"]["submitted_at"] is None
    assert draft["evidence"]["summary"] == "goods delivered"
    assert (draft["evidence"]["amount"], draft["evidence"]["shipping_proof"]) == (
        15000,
        [document["id"]],
    )
    assert set(fixture("dispute_contest.json")["evidence"]) <= set(draft["evidence"])

    submitted = client.dispute.contest(dispute["id"], {"action": "submit"})  # the draft's evidence
    assert submitted["status"] == "under_review"
    assert submitted["evidence"]["submitted_at"] >= draft["created_at"]
    assert submitted["evidence"]["shipping_proof"] == [document["id"]]
    with rejected(
        "The dispute is under_review: only an open dispute can be accepted or contested."
    ):
        client.dispute.accept(dispute["id"])
    events = [body["event"] for body in _dispute_events(receiver, 2)]
    assert events == ["payment.dispute.created", "payment.dispute.under_review"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"shipping_proof": ["doc_00000000000000"]},
            "The document doc_00000000000000 does not exist.",
        ),
        ({"amount": 20001}, "The amount may not be greater than the disputed amount."),
        ({"action": "send"}, "The selected action is invalid."),
        ({"evidence": {}}, "evidence is/are not required and should not be sent"),
    ],
)
def test_a_contest_is_checked(client, dispute, body, message):
    with rejected(message):
        client.dispute.contest(dispute["id"], body)


def test_nothing_can_be_answered_after_respond_by(client, control, captured):
    late = _open(control, captured["id"], respond_by=int(time.time()) - 1)
    message = "The dispute can no longer be accepted or contested: respond_by passed."

    with rejected(message):
        client.dispute.accept(late["id"])
    with rejected(message):
        client.dispute.contest(late["id"], {"summary": "too late", "action": "draft"})


@pytest.mark.parametrize(
    ("outcome", "status", "deducted"),
    [("won", "won", 0), ("lost", "lost", 20000), ("closed", "closed", 0)],
)
def test_a_resolved_dispute_is_final_and_its_webhook_carries_payment_and_dispute(
    control, receiver, dispute, outcome, status, deducted
):
    resolved = _resolve(control, dispute["id"], outcome)

    assert (resolved["status"], resolved["amount_deducted"]) == (status, deducted)
    error = _resolve(control, dispute["id"], "won", expect=400)["error"]
    assert error["description"] == f"The dispute is already {status}."
    bodies = _dispute_events(receiver, 2)
    assert [b["event"] for b in bodies] == ["payment.dispute.created", f"payment.dispute.{outcome}"]
    for body in bodies:
        assert body["contains"] == ["payment", "dispute"]
        assert body["payload"]["payment"]["entity"]["id"] == dispute["payment_id"]
    assert body["payload"]["dispute"]["entity"]["status"] == status


def test_action_required_reopens_a_dispute_under_review_for_more_evidence(
    client, control, receiver, dispute
):
    document = _document(client)
    client.dispute.contest(dispute["id"], {"billing_proof": [document["id"]], "action": "submit"})

    reopened = _resolve(control, dispute["id"], "action_required")

    assert reopened["status"] == "open"
    again = client.dispute.contest(dispute["id"], {"summary": "more", "action": "submit"})
    assert again["status"] == "under_review"
    events = [body["event"] for body in _dispute_events(receiver, 4)]
    assert events[2:] == ["payment.dispute.action_required", "payment.dispute.under_review"]


def test_disputes_and_documents_survive_a_restart_with_a_state_file(tmp_path):
    state = str(tmp_path / "sim.json")
    with Simulator(key_id=KEY_ID, key_secret=KEY_SECRET, state_file=state) as sim:
        client = razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sim.url)
        order = client.order.create({"amount": 50000, "currency": "INR"})
        control = Control(sim.url)
        payment_id = control.pay(order["id"])["razorpay_payment_id"]
        dispute = _open(control, payment_id)
        document = _document(client)
        client.dispute.contest(dispute["id"], {"shipping_proof": [document["id"]]})

    with Simulator(key_id=KEY_ID, key_secret=KEY_SECRET, state_file=state) as sim:
        client = razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sim.url)
        assert client.document.fetch(document["id"])["size"] == len(PDF[1])
        kept = client.dispute.fetch(dispute["id"])
        assert kept["evidence"]["shipping_proof"] == [document["id"]]
        assert client.dispute.contest(dispute["id"], {"action": "submit"})["status"] == (
            "under_review"
        )
