"""Disputes end to end: Razorpay (the simulator) raises and decides them, its webhooks reach
the service in any order and any number of times, and the payment, its refunds and the client
app's events follow."""

import itertools
from datetime import timedelta

import pytest

from disputes import services
from disputes.errors import DisputeNotRespondable
from disputes.models import Dispute
from notifications.models import Event
from payments.models import Payment, Source
from payments_service.clock import now
from payments_service.integrations.razorpay import get_gateway
from webhooks.tests.events import deliver

pytestmark = pytest.mark.django_db

PDF = services.EvidenceFile(
    "receipt.pdf", b"%PDF-1.4\n% signed delivery receipt\n", "application/pdf"
)


def _submit_evidence(dispute_id: str) -> None:
    """The merchant contests at Razorpay (which emits payment.dispute.under_review)."""
    gateway = get_gateway()
    document = gateway.upload_document(
        name=PDF.name, content=PDF.content, content_type=PDF.content_type
    )
    gateway.contest_dispute(
        dispute_id, summary="delivered", amount=1000, document_ids=[document.id], submit=True
    )


# Each story: what happens at Razorpay, and the events it emits (after `created`).
STORIES = {
    "won": (["contest", "won"], ["under_review", "won"]),
    "lost": (["contest", "lost"], ["under_review", "lost"]),
    "closed": (["closed"], ["closed"]),
}


def _live(disputes, paid, steps) -> list:
    dispute = disputes.open(paid.razorpay_payment_id, reason_code="fraud", phase="chargeback")
    for step in steps:
        if step == "contest":
            _submit_evidence(dispute["id"])
        else:
            disputes.resolve(dispute["id"], step)
    return disputes.webhooks()


def _state(payment: Payment) -> tuple:
    payment.refresh_from_db()
    [dispute] = Dispute.objects.filter(payment=payment)
    told = list(
        Event.objects.filter(type__startswith="payment.dispute.").order_by("created_at", "seq")
    )
    return (
        dispute.status,
        dispute.amount_deducted,
        payment.amount_disputed,
        payment.amount_lost_to_disputes,
        payment.status,
        sorted(e.type for e in told),
    )


EXPECTED = {
    "won": ("won", 0, 0, 0, "captured", ["payment.dispute.created", "payment.dispute.won"]),
    "lost": (
        "lost",
        1000,
        0,
        1000,
        "captured",
        ["payment.dispute.created", "payment.dispute.lost"],
    ),
    "closed": (
        "closed",
        0,
        0,
        0,
        "captured",
        ["payment.dispute.closed", "payment.dispute.created"],
    ),
}
ORDERS = [
    (story, order)
    for story, (_, events) in STORIES.items()
    for order in itertools.permutations(range(1 + len(events)))
]


@pytest.mark.parametrize(("story", "order"), ORDERS)
def test_every_order_of_a_disputes_webhooks_ends_where_razorpay_does(
    client, disputes, paid, story, order
):
    steps, names = STORIES[story]
    made = _live(disputes, paid, steps)
    assert [e["event"] for _, e in made] == [f"payment.dispute.{n}" for n in ["created", *names]]

    for index in [*order, order[0]]:  # and the first again: a redelivery
        event_id, envelope = made[index]
        assert deliver(client, envelope, event_id=event_id).status_code == 200

    assert _state(paid) == EXPECTED[story]
    [dispute] = Dispute.objects.filter(payment=paid)
    assert dispute.razorpay_dispute_id == made[0][1]["payload"]["dispute"]["entity"]["id"]
    assert (dispute.reason_code, dispute.phase, dispute.amount) == ("fraud", "chargeback", 1000)
    if story != "closed":
        assert dispute.evidence_submitted_at is not None
        assert len(dispute.evidence_documents) == 1


def test_an_open_dispute_holds_the_payment_and_refunds_are_409_payment_disputed(
    api, client, disputes, paid
):
    [(event_id, created)] = _live(disputes, paid, [])
    deliver(client, created, event_id=event_id)
    paid.refresh_from_db()
    assert (paid.amount_disputed, paid.is_disputed) == (1000, True)

    response = api.post(
        f"/payments/{paid.id}/refunds",
        {"amount": 500},
        format="json",
        headers={"Idempotency-Key": "r-1"},
    )

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["amountDisputed"]) == ("payment_disputed", 1000)
    assert not paid.refunds.exists()


def test_a_lost_disputes_deduction_is_not_refundable_and_a_won_one_frees_the_payment(
    api, client, disputes, paid
):
    lost = disputes.open(paid.razorpay_payment_id, amount=600)
    disputes.resolve(lost["id"], "lost")
    won = disputes.open(paid.razorpay_payment_id, amount=400)
    disputes.resolve(won["id"], "won")
    for event_id, envelope in disputes.webhooks():
        deliver(client, envelope, event_id=event_id)
    paid.refresh_from_db()
    assert (paid.amount_disputed, paid.amount_lost_to_disputes) == (0, 600)

    def refund(amount, key):
        return api.post(
            f"/payments/{paid.id}/refunds",
            {"amount": amount},
            format="json",
            headers={"Idempotency-Key": key},
        )

    too_much = refund(401, "r-1")
    assert too_much.status_code == 409
    assert (too_much.json()["code"], too_much.json()["refundable"]) == (
        "refund_exceeds_refundable",
        400,
    )
    assert refund(400, "r-2").status_code == 201


def test_a_finance_override_refunds_a_payment_with_an_open_dispute(client, disputes, paid):
    from refunds import services as refunds

    [(event_id, created)] = _live(disputes, paid, [])
    deliver(client, created, event_id=event_id)

    refund = refunds.refund_create(
        payment_id=paid.id,
        amount=300,
        requested_by="user:fiona",
        source=Source.ADMIN,
        override_dispute=True,
    )

    assert refund.status == "pending" and refund.amount == 300


def test_action_required_makes_a_dispute_under_review_answerable_again(client, disputes, paid):
    dispute = disputes.open(paid.razorpay_payment_id)
    _submit_evidence(dispute["id"])
    disputes.resolve(dispute["id"], "action_required")
    for event_id, envelope in disputes.webhooks():
        deliver(client, envelope, event_id=event_id)
    local = Dispute.objects.get(payment=paid)
    assert local.status == "action_required"
    paid.refresh_from_db()
    assert paid.amount_disputed == 1000  # still undecided

    answered = services.dispute_contest(
        dispute=local,
        summary="more proof",
        amount=1000,
        files=[PDF],
        submit=True,
        source=Source.ADMIN,
        actor="fiona",
    )

    assert answered.status == "under_review"


def test_accepting_a_dispute_loses_it_at_razorpay_and_counts_the_deduction(client, disputes, paid):
    [(event_id, created)] = _live(disputes, paid, [])
    deliver(client, created, event_id=event_id)
    local = Dispute.objects.get(payment=paid)

    accepted = services.dispute_accept(dispute=local, source=Source.ADMIN, actor="fiona")

    assert (accepted.status, accepted.amount_deducted) == ("lost", 1000)
    paid.refresh_from_db()
    assert (paid.amount_disputed, paid.amount_lost_to_disputes) == (0, 1000)
    # Razorpay's own payment.dispute.lost arrives later and changes nothing.
    [(lost_id, lost)] = [(i, e) for i, e in disputes.webhooks() if e["event"].endswith(".lost")]
    deliver(client, lost, event_id=lost_id)
    assert _state(paid) == EXPECTED["lost"]


def test_a_draft_contest_keeps_the_dispute_open_with_its_evidence(client, disputes, paid):
    [(event_id, created)] = _live(disputes, paid, [])
    deliver(client, created, event_id=event_id)
    local = Dispute.objects.get(payment=paid)

    draft = services.dispute_contest(
        dispute=local,
        summary="delivered on time",
        amount=700,
        files=[PDF],
        submit=False,
        source=Source.ADMIN,
        actor="fiona",
    )

    assert draft.status == "open" and draft.evidence_submitted_at is None
    assert (draft.evidence_summary, draft.evidence_amount) == ("delivered on time", 700)
    assert draft.evidence_documents[0].startswith("doc_")


def test_a_dispute_past_respond_by_cannot_be_answered(client, disputes, paid):
    [(event_id, created)] = _live(disputes, paid, [])
    deliver(client, created, event_id=event_id)
    local = Dispute.objects.get(payment=paid)
    local.respond_by = now() - timedelta(minutes=1)

    with pytest.raises(DisputeNotRespondable):
        services.dispute_accept(dispute=local, source=Source.ADMIN, actor="fiona")
    assert disputes.razorpay.received("POST", "/v1/disputes") == 0


def test_a_dispute_of_a_payment_not_ours_is_ignored(client, disputes, razorpay):
    from webhooks.models import WebhookEvent
    from webhooks.tests.events import event, payment_entity

    entity = {
        "id": "disp_AHfqOvkldwsbqt",
        "entity": "dispute",
        "payment_id": "pay_EsyWjHrfzb59eR",
        "amount": 10000,
        "currency": "INR",
        "amount_deducted": 0,
        "reason_code": "chargeback",
        "respond_by": 1590604200,
        "status": "open",
        "phase": "chargeback",
        "created_at": 1590059211,
    }
    envelope = event(
        "payment.dispute.created",
        payment_entity(order_id="order_unknown0000001", payment_id="pay_EsyWjHrfzb59eR"),
        dispute=entity,
    )
    assert deliver(client, envelope, event_id="evt_disp_unknown").status_code == 200
    assert WebhookEvent.objects.get(event_id="evt_disp_unknown").status == "ignored"
    assert not Dispute.objects.exists()


def test_reconciliation_counts_what_lost_disputes_deducted(client, disputes, paid):
    from backoffice.reconcile import daily_totals

    lost = disputes.open(paid.razorpay_payment_id, amount=300)
    disputes.resolve(lost["id"], "lost")
    for event_id, envelope in disputes.webhooks():
        deliver(client, envelope, event_id=event_id)

    [total] = daily_totals(since=now() - timedelta(days=1), until=now() + timedelta(days=1))

    assert (total.captured, total.refunded, total.deducted, total.net) == (1000, 0, 300, 700)
