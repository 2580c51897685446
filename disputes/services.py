"""Every write to a dispute. Webhooks, the admin and reconciliation come through here.

A dispute is Razorpay's: we record what it says (`dispute_apply_gateway`), forward only by
`RANK`, so any delivery order of the same facts ends in the same state, and a late `created`
never reopens a decided dispute. After each change the payment's two dispute facts (held open,
lost) are set through `payments.services.payment_record_disputes`, under the payment's lock,
which is what refunds read. Accepting and contesting call Razorpay outside any lock and apply
its answer like a webhook's.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Sum

from payments.models import Payment
from payments.selectors import payment_id_for_razorpay_payment
from payments.services import payment_lock, payment_record_disputes, payment_tell
from payments_service.clock import now
from payments_service.integrations.razorpay import GatewayDispute, get_gateway

from .errors import DisputeMismatch, DisputeNotRespondable, DisputePaymentUnknown
from .models import FINAL, RANK, RESPONDABLE, UNDECIDED, Dispute, DisputeStatus
from .serializers import DisputeOutput

logger = logging.getLogger(__name__)

ACTION_REQUIRED_EVENT = "payment.dispute.action_required"
# The statuses client apps hear of, as `payment.dispute.<status>` (besides `created`).
TOLD = {DisputeStatus.WON, DisputeStatus.LOST, DisputeStatus.CLOSED}


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    content: bytes
    content_type: str


def _time(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def _status_of(dispute: GatewayDispute, event: str | None) -> str | None:
    """Our status for Razorpay's news: its entity's status, except that `action_required` is
    told by the event's name (the entity then says `open`)."""
    if event == ACTION_REQUIRED_EVENT and dispute.status not in ("won", "lost", "closed"):
        return DisputeStatus.ACTION_REQUIRED
    return dispute.status if dispute.status in DisputeStatus.values else None


# --- record -----------------------------------------------------------------------------------
def dispute_apply_gateway(
    *, dispute: GatewayDispute, source: str, event: str | None = None, actor: str = ""
) -> Dispute:
    """Records what Razorpay says of one dispute (a webhook's snapshot, the answer to an accept
    or contest, a fetch): the single way a dispute is written.

    Unknown here, it is recorded (`DisputePaymentUnknown` when its payment is not ours). Its
    status only moves forward: a snapshot older than what we have changes nothing, except a
    larger `amount_deducted`. The payment's dispute facts follow every change."""
    payment_id = payment_id_for_razorpay_payment(dispute.payment_id)
    if payment_id is None:
        raise DisputePaymentUnknown(
            f"Razorpay dispute {dispute.id} is of payment {dispute.payment_id}, unknown here."
        )
    target = _status_of(dispute, event)
    with transaction.atomic(savepoint=False):
        payment = payment_lock(payment_id)
        local = Dispute.objects.filter(razorpay_dispute_id=dispute.id).first()
        if local is None:
            local = _record_new(payment, dispute, target or DisputeStatus.OPEN, source)
            fields = ["status"]
        else:
            _check_matches(local, dispute)
            fields = _advance(local, dispute, target)
            if fields:
                local.version += 1
                local.save(update_fields=[*fields, "version", "updated_at"])
        if "status" in fields and local.status in TOLD:
            payment_tell(
                payment=payment,
                type=f"payment.dispute.{local.status}",
                about=local,
                output=DisputeOutput,
                source=source,
            )
        if fields:
            _payment_facts(payment)
    if fields:
        logger.info("dispute %s: %s at Razorpay (%s)", local.id, local.status, dispute.id)
    return local


def _record_new(payment: Payment, dispute: GatewayDispute, status: str, source: str) -> Dispute:
    if dispute.currency != payment.currency or dispute.amount > payment.amount:
        raise DisputeMismatch(
            f"Razorpay dispute {dispute.id} of {dispute.amount} {dispute.currency} does not fit "
            f"payment {payment.id} of {payment.amount} {payment.currency}."
        )
    local = Dispute.objects.create(
        razorpay_dispute_id=dispute.id,
        payment=payment,
        razorpay_payment_id=dispute.payment_id,
        amount=dispute.amount,
        currency=dispute.currency,
        amount_deducted=dispute.amount_deducted,
        reason_code=dispute.reason_code[:100],
        phase=dispute.phase[:32],
        status=status,
        respond_by=_time(dispute.respond_by) or now(),
        opened_at=_time(dispute.created_at) or now(),
        source=source,
        **_evidence(dispute),
    )
    payment_tell(
        payment=payment,
        type="payment.dispute.created",
        about=local,
        output=DisputeOutput,
        source=source,
    )
    logger.info("dispute %s: %s of %s opened (%s)", local.id, dispute.amount, payment.id, status)
    return local


def _evidence(dispute: GatewayDispute) -> dict:
    return {
        "evidence_summary": dispute.evidence_summary or "",
        "evidence_amount": dispute.evidence_amount,
        "evidence_documents": list(dispute.evidence_documents),
        "evidence_submitted_at": _time(dispute.evidence_submitted_at),
    }


def _check_matches(local: Dispute, dispute: GatewayDispute) -> None:
    if (local.razorpay_payment_id, local.amount, local.currency) != (
        dispute.payment_id,
        dispute.amount,
        dispute.currency,
    ):
        raise DisputeMismatch(
            f"Razorpay dispute {dispute.id} ({dispute.amount} {dispute.currency} of "
            f"{dispute.payment_id}) vs dispute {local.id} ({local.amount} {local.currency} of "
            f"{local.razorpay_payment_id}).",
            disputeId=local.id,
        )


def _advance(local: Dispute, dispute: GatewayDispute, target: str | None) -> list[str]:
    """Moves `local` towards Razorpay's news, forward only; the fields it changed. Under review
    and action required (one rank) follow the latest news; a decided dispute stays decided."""
    fields = []
    if dispute.amount_deducted > local.amount_deducted:
        local.amount_deducted = dispute.amount_deducted
        fields.append("amount_deducted")
    if target is None or local.status in FINAL or RANK[target] < RANK[local.status]:
        return fields  # an older snapshot: only the deduction can add to what we know
    if target != local.status:
        local.status = target
        fields.append("status")
    current = {
        "respond_by": _time(dispute.respond_by) or local.respond_by,
        "phase": dispute.phase[:32] or local.phase,
        **_evidence(dispute),
    }
    if not dispute.evidence_submitted_at and local.evidence_submitted_at:
        del current["evidence_submitted_at"]  # a draft's snapshot never unsubmits
    for field, value in current.items():
        if getattr(local, field) != value:
            setattr(local, field, value)
            fields.append(field)
    return fields


def _payment_facts(payment: Payment) -> None:
    disputes = Dispute.objects.filter(payment=payment)
    held = disputes.filter(status__in=sorted(UNDECIDED)).aggregate(total=Sum("amount"))
    lost = disputes.aggregate(total=Sum("amount_deducted"))
    payment_record_disputes(
        payment=payment,
        amount_disputed=held["total"] or 0,
        amount_lost_to_disputes=lost["total"] or 0,
    )


# --- answer -----------------------------------------------------------------------------------
def dispute_check_respondable(*, dispute: Dispute) -> None:
    """DisputeNotRespondable unless Razorpay still takes an answer to the dispute."""
    if dispute.status not in RESPONDABLE:
        raise DisputeNotRespondable(
            f"Dispute {dispute.id} is {dispute.get_status_display()}: only an open dispute "
            "(or one Razorpay asked more of) can be accepted or contested.",
            disputeStatus=dispute.status,
        )
    if dispute.respond_by <= now():
        raise DisputeNotRespondable(
            f"Dispute {dispute.id} had to be answered by {dispute.respond_by:%Y-%m-%d %H:%M} UTC.",
            disputeStatus=dispute.status,
        )


def dispute_accept(*, dispute: Dispute, source: str, actor: str) -> Dispute:
    """Concedes the dispute at Razorpay, which deducts its amount: it is lost."""
    dispute_check_respondable(dispute=dispute)
    answer = get_gateway().accept_dispute(dispute.razorpay_dispute_id)
    return dispute_apply_gateway(dispute=answer, source=source, actor=actor)


def dispute_contest(
    *,
    dispute: Dispute,
    summary: str,
    amount: int,
    files: list[EvidenceFile],
    submit: bool,
    source: str,
    actor: str,
) -> Dispute:
    """Contests the dispute: the files go up through Razorpay's Documents API, then the
    evidence (summary, amount contested, the documents) is saved as a draft or submitted for
    review (`submit`). At least one file: Razorpay refuses a submission without one."""
    dispute_check_respondable(dispute=dispute)
    if not files:
        raise ValueError("a contest needs at least one document")
    gateway = get_gateway()
    documents = [
        gateway.upload_document(name=f.name, content=f.content, content_type=f.content_type)
        for f in files
    ]
    answer = gateway.contest_dispute(
        dispute.razorpay_dispute_id,
        summary=summary,
        amount=amount,
        document_ids=[d.id for d in documents],
        submit=submit,
    )
    return dispute_apply_gateway(dispute=answer, source=source, actor=actor)


def dispute_sync(*, dispute: Dispute, source: str, actor: str = "") -> Dispute:
    """Asks Razorpay about the dispute and records its answer."""
    answer = get_gateway().fetch_dispute(dispute.razorpay_dispute_id)
    return dispute_apply_gateway(dispute=answer, source=source, actor=actor)
