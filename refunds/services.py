"""Every write to a refund. The API, commands, the admin and the webhooks app come through here.

A refund is reserved (`pending`) under its payment's lock and committed; only then is Razorpay
asked, with the refund's own id as `X-Refund-Idempotency`; its answer, a webhook or
`sync_refunds` settles the refund in a new short transaction. So no lock is held across a
gateway call, concurrent refunds can never add up past the payment (pending ones count), and
re-sending a refund whose answer was lost cannot refund twice. A refund asked for under an
idempotency key is recorded on the key as it is reserved, so a retry of a crashed request
resumes that refund and never reserves a second one.

Four-eyes refunds: above an approval threshold (`REFUND_APPROVAL_THRESHOLD` for staff, the
client app's own for its API), a refund is reserved `awaiting_approval` and not sent. A second
finance user approves it (→ `pending`, then sent as any refund, after the commit) or rejects
it, or the `expire_refund_approvals` chore fails it past its deadline (both free the amount).
Each decision locks the payment and re-reads the refund, so of two that race only one wins.
"""

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from audit.models import Action, Via
from audit.services import audit_record
from clients.idempotency import idempotency_record, idempotency_run
from clients.models import IdempotencyKey
from payments.currencies import MINIMUM_AMOUNT
from payments.models import Payment, PaymentStatus, Source
from payments.selectors import payment_id_for_razorpay_payment
from payments.services import payment_lock, payment_record_refunded, payment_tell
from payments_service.clock import now
from payments_service.crashpoints import crash_point
from payments_service.db import Select, insert_row, save_fields
from payments_service.errors import ServiceError
from payments_service.integrations.razorpay import (
    GatewayRefund,
    GatewayRejected,
    GatewayUnavailable,
    get_gateway,
)

from .errors import (
    PaymentDisputed,
    PaymentNotRefundable,
    RefundAlreadyRequested,
    RefundAmountTooSmall,
    RefundApprovalBySameUser,
    RefundExceedsRefundable,
    RefundMismatch,
    RefundNotAwaitingApproval,
    RefundNotFound,
    RefundPaymentUnknown,
)
from .models import Refund, RefundSpeed, RefundStatus
from .selectors import (
    refund_list_expired_approvals,
    refund_list_unsettled,
    refund_processed_amount,
    refund_reserved_amount,
)
from .serializers import RefundOutput

logger = logging.getLogger(__name__)

REFUNDABLE = {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED}
# Razorpay's refund statuses; any other (its undocumented internal ones) changes nothing.
_STATUS_FROM_GATEWAY = {
    "pending": RefundStatus.PENDING,
    "processed": RefundStatus.PROCESSED,
    "failed": RefundStatus.FAILED,
}
# `requested_by` of a refund made at Razorpay (its dashboard), not through this service.
GATEWAY_REQUESTER = "razorpay"


# --- create -----------------------------------------------------------------------------------
def refund_amount_check(*, payment: Payment, amount: int | None) -> int:
    """The amount a refund of `amount` (None: the whole refundable rest) would take, or the
    problem with it. Unlocked, so only a preview (the command shows it before asking);
    `refund_create` checks again under the lock."""
    reserved = refund_reserved_amount(payment=payment)
    return _checked_amount(payment, amount, reserved)


def _checked_amount(
    payment: Payment, amount: int | None, reserved: int, *, override_dispute: bool = False
) -> int:
    if payment.status not in REFUNDABLE:
        raise PaymentNotRefundable(
            f"Payment {payment.id} is {payment.status}; only captured or partially refunded "
            "payments can be refunded.",
            paymentStatus=payment.status,
        )
    # An open dispute may yet take the money back: refunding now could pay the customer twice,
    # so only a finance user's explicit override (the admin) refunds it.
    if payment.amount_disputed and not override_dispute:
        raise PaymentDisputed(
            f"Payment {payment.id} has {payment.amount_disputed} (minor units of "
            f"{payment.currency}) in an open dispute; it cannot be refunded until the dispute "
            "is decided.",
            amountDisputed=payment.amount_disputed,
        )
    # What a lost dispute took back has already gone to the customer.
    refundable = max(payment.amount - reserved - payment.amount_lost_to_disputes, 0)
    amount = refundable if amount is None else amount
    # Before the minimum check: asking for more than is left is the more useful answer.
    if amount > refundable or refundable == 0:
        raise RefundExceedsRefundable(
            f"Payment {payment.id} has {refundable} left to refund (minor units of "
            f"{payment.currency}; pending refunds count until they fail); {amount} asked.",
            refundable=refundable,
        )
    # The currency's minimum, as for a payment: INR's ₹1.00 is Razorpay's for a normal refund.
    minimum = MINIMUM_AMOUNT[payment.currency]
    if amount < minimum:
        message = f"At least {minimum} (minor units of {payment.currency})."
        raise RefundAmountTooSmall(message, errors={"amount": [message]})
    return amount


def refund_create(
    *,
    payment_id: str,
    amount: int | None,
    reason: str = "",
    speed: str = RefundSpeed.NORMAL,
    notes: dict[str, str] | None = None,
    requested_by: str,
    source: str,
    claim: IdempotencyKey | None = None,
    override_dispute: bool = False,
) -> Refund:
    """Refunds `amount` (None: all that is left) of a captured payment; one with an open
    dispute only with `override_dispute` (a finance user's, in the admin).

    Reserved as `pending` under the payment's lock and committed before Razorpay is called.
    Razorpay's refusal fails the refund (freeing its amount) and is raised; if Razorpay is
    unavailable or times out, the refund is returned still `pending`, for `refund_sync` to
    settle (re-sending it under the same idempotency key cannot refund twice).

    Above the approval threshold of its `source` (`refund_needs_approval`), it is reserved
    `awaiting_approval` instead and returned unsent: `refund_approve` sends it.

    Under an idempotency `claim`, the reservation is recorded on it in the same transaction. A
    claim that already holds a refund (its first request crashed or failed after reserving)
    resumes that refund: sent again under its own key if Razorpay's answer was never recorded
    (and it is not awaiting approval), then returned as it stands.
    """
    if claim is not None and claim.resource_id:
        refund = Refund.objects.get(pk=claim.resource_id)
        logger.info("refund %s: resumed by a retry of its idempotency key", refund.id)
        if refund.status != RefundStatus.PENDING or refund.razorpay_refund_id:
            return refund
    else:
        refund = _reserve(
            payment_id=payment_id,
            amount=amount,
            claim=claim,
            speed_requested=speed,
            reason=reason,
            notes=notes or {},
            requested_by=requested_by,
            source=source,
            override_dispute=override_dispute,
        )
        if refund.status == RefundStatus.AWAITING_APPROVAL:
            return refund
    return _dispatch(refund, source=source, actor=requested_by)


def _dispatch(refund: Refund, *, source: str, actor: str) -> Refund:
    """Sends a committed `pending` refund and settles it by Razorpay's answer. Refusal fails it
    and is raised; unavailability leaves it pending for `refund_sync` (the settle chore)."""
    try:
        answer = _send(refund)
    except GatewayRejected as exc:
        refund_fail(refund=refund, reason=exc.detail, source=source)
        raise
    except GatewayUnavailable as exc:
        logger.warning("refund %s: %s, left pending for refund_sync", refund.id, exc.code)
        return refund
    crash_point("refund.sent")
    return refund_apply_gateway(refund=answer, source=source, actor=actor)


def refund_approval_threshold(*, payment: Payment, source: str) -> int | None:
    """Above what amount (minor units of the payment's currency) a refund from `source` needs a
    second person's approval; None: never. Staff (the admin, commands) follow
    `REFUND_APPROVAL_THRESHOLD`, a client app's API refunds its own limit; chores and webhooks
    never ask for refunds of their own."""
    if source in (Source.ADMIN, Source.COMMAND):
        limits = settings.REFUND_APPROVAL_THRESHOLD
    elif source == Source.API:
        limits = payment.client_app.refund_approval_limits
    else:
        return None
    return limits.get(payment.currency)


def refund_needs_approval(*, payment: Payment, amount: int, source: str) -> bool:
    threshold = refund_approval_threshold(payment=payment, source=source)
    return threshold is not None and amount > threshold


def _reserve(
    *,
    payment_id: str,
    amount: int | None,
    claim: IdempotencyKey | None,
    override_dispute: bool = False,
    **fields,
):
    with transaction.atomic():
        payment = payment_lock(payment_id)
        reserved = refund_reserved_amount(payment=payment)
        amount = _checked_amount(payment, amount, reserved, override_dispute=override_dispute)
        if refund_needs_approval(payment=payment, amount=amount, source=fields["source"]):
            fields["status"] = RefundStatus.AWAITING_APPROVAL
            ttl = timedelta(seconds=settings.REFUND_APPROVAL_TTL_SECONDS)
            fields["approval_expires_at"] = now() + ttl
        refund = insert_row(
            Refund(
                payment=payment,
                amount=amount,
                currency=payment.currency,
                razorpay_payment_id=payment.razorpay_payment_id,
                **fields,
            )
        )
        if claim is not None:
            idempotency_record(claim=claim, resource_id=refund.id)
        payment_tell(
            payment=payment,
            type="refund.created",
            about=refund,
            output=RefundOutput,
            source=fields["source"],
        )
    logger.info(
        "refund %s: %s %s of %s reserved (%s)",
        refund.id,
        amount,
        refund.currency,
        payment.id,
        refund.status,
    )
    crash_point("refund.reserved")
    return refund


def refund_create_keyed(
    *,
    key: str,
    payment: Payment,
    amount: int | None,
    reason: str,
    speed: str = RefundSpeed.NORMAL,
    requested_by: str,
    source: str,
    override_dispute: bool = False,
) -> Refund:
    """`refund_create` for staff (the admin form's one-time token, `refund_payment
    --idempotency-key`), under the same idempotency keys as the API: a double submit or a
    re-run after a crash never refunds twice. A key that has already made its refund raises
    `RefundAlreadyRequested`, naming it."""
    answer = idempotency_run(
        client_app=payment.client_app,
        operation=f"refunds.staff:{payment.id}",
        key=key,
        body={"amount": amount, "reason": reason, "speed": speed},
        work=lambda claim: (
            201,
            {
                "id": refund_create(
                    payment_id=payment.id,
                    amount=amount,
                    reason=reason,
                    speed=speed,
                    requested_by=requested_by,
                    source=source,
                    claim=claim,
                    override_dispute=override_dispute,
                ).id
            },
        ),
    )
    refund = Refund.objects.get(pk=answer.body["id"])
    if answer.replayed:
        raise RefundAlreadyRequested(
            f"Already asked with this key: refund {refund.id} is {refund.status}.",
            refundId=refund.id,
        )
    return refund


def _send(refund: Refund) -> GatewayRefund:
    """Safe to repeat: the key is the refund's id and the body is rebuilt from the row the
    same way every time (Razorpay refuses a known key with another body)."""
    notes = {**refund.notes, "refund_id": refund.id}
    if refund.reason:
        notes["reason"] = refund.reason
    return get_gateway().create_refund(
        payment_id=refund.razorpay_payment_id,
        amount=refund.amount,
        speed=refund.speed_requested,
        notes=notes,
        idempotency_key=refund.id,
    )


def refund_fail(*, refund: Refund, reason: str, source: str) -> Refund:
    """pending → failed, when Razorpay refused to make it: its amount is refundable again.
    A refund already final stays as it is."""
    with transaction.atomic():
        payment = payment_lock(refund.payment_id)
        refund = Refund.objects.get(pk=refund.pk)
        if refund.status == RefundStatus.PENDING:
            _mark_failed(refund, reason)
            _changed(refund, payment, ["status", "failure_reason"], source)
    return refund


# --- settle -----------------------------------------------------------------------------------
def refund_apply_gateway(*, refund: GatewayRefund, source: str, actor: str = "") -> Refund:
    """Records what Razorpay says of one refund: the single way a refund is settled (the
    create call's answer, `refund_sync`, webhooks).

    The local refund is found by Razorpay id, else by the `refund_id` note we send, else it
    was made at Razorpay (its dashboard) and is recorded now under the payment it refunds
    (`RefundPaymentUnknown` when there is none here). Its status only moves forward, so any
    order of the same facts ends in the same state; a processed refund updates the payment's
    refunded amount. A refund that contradicts ours raises `RefundMismatch`, applying nothing.
    """
    found = _local_refund(refund)
    payment_id = found.payment_id if found else payment_id_for_razorpay_payment(refund.payment_id)
    if payment_id is None:
        raise RefundPaymentUnknown(
            f"Razorpay refund {refund.id} is of payment {refund.payment_id}, unknown here."
        )
    with transaction.atomic():
        payment = payment_lock(payment_id)
        # Again under the lock: a concurrent copy of this news may have recorded or moved it.
        local = _local_refund(refund) or _record_made_at_gateway(payment, refund, source)
        _check_matches(local, refund, payment)
        fields = _advance(local, refund)
        if fields:
            _changed(local, payment, fields, source)
        if "processed_at" in fields:
            payment_record_refunded(
                payment=payment,
                amount_refunded=refund_processed_amount(payment=payment),
                source=source,
                actor=actor,
                reason=f"refund {local.id} processed",
            )
    if fields:
        logger.info("refund %s: %s at Razorpay (%s)", local.id, local.status, refund.id)
    return local


# Compiled once: every settle reads the refund twice (see payments_service.db).
_BY_GATEWAY_ID_OR_NOTE = Select(
    lambda razorpay_id, refund_id: Refund.objects.filter(
        Q(razorpay_refund_id=razorpay_id) | Q(pk=refund_id)
    )[:2]
)


def _local_refund(refund: GatewayRefund) -> Refund | None:
    """Ours, by Razorpay's id, else by the `refund_id` note we sent (no refund's id is empty)."""
    rows = _BY_GATEWAY_ID_OR_NOTE.all(
        razorpay_id=refund.id, refund_id=refund.notes.get("refund_id") or ""
    )
    rows.sort(key=lambda r: r.razorpay_refund_id != refund.id)
    return rows[0] if rows else None


def _record_made_at_gateway(payment: Payment, refund: GatewayRefund, source: str) -> Refund:
    speed = refund.speed_requested
    logger.info("refund %s made at Razorpay: recording it for %s", refund.id, payment.id)
    local = Refund.objects.create(
        payment=payment,
        amount=refund.amount,
        currency=refund.currency,
        razorpay_payment_id=refund.payment_id,
        razorpay_refund_id=refund.id,
        speed_requested=speed if speed in RefundSpeed.values else RefundSpeed.NORMAL,
        # Razorpay says how it pays a refund as it makes it: the app's refund.created tells it.
        speed_processed=refund.speed_processed or "",
        notes=refund.notes,
        requested_by=GATEWAY_REQUESTER,
        source=source,
    )
    payment_tell(
        payment=payment, type="refund.created", about=local, output=RefundOutput, source=source
    )
    return local


def _check_matches(local: Refund, refund: GatewayRefund, payment: Payment) -> None:
    problems = []
    if local.razorpay_refund_id not in (None, refund.id):
        problems.append(f"is already Razorpay refund {local.razorpay_refund_id}")
    if local.razorpay_payment_id != refund.payment_id:
        problems.append(f"refunds Razorpay payment {local.razorpay_payment_id}")
    if (local.amount, local.currency) != (refund.amount, refund.currency):
        problems.append(f"is {local.amount} {local.currency}")
    if local.currency != payment.currency or local.amount > payment.amount:
        problems.append(f"does not fit payment {payment.id} of {payment.amount} {payment.currency}")
    target = _STATUS_FROM_GATEWAY.get(refund.status)
    if local.is_final and target not in (None, RefundStatus.PENDING, local.status):
        problems.append(f"is already {local.status}")
    if problems:
        raise RefundMismatch(
            f"Razorpay refund {refund.id} ({refund.amount} {refund.currency}, {refund.status}, "
            f"payment {refund.payment_id}) vs refund {local.id}: it " + "; ".join(problems) + ".",
            refundId=local.id,
        )


def _advance(local: Refund, refund: GatewayRefund) -> list[str]:
    """Moves `local` towards what Razorpay says, forward only; the fields it changed."""
    fields = []
    if local.razorpay_refund_id is None:
        local.razorpay_refund_id = refund.id
        fields.append("razorpay_refund_id")
    if refund.speed_processed and local.speed_processed != refund.speed_processed:
        local.speed_processed = refund.speed_processed
        fields.append("speed_processed")
    target = _STATUS_FROM_GATEWAY.get(refund.status)
    if local.status == RefundStatus.PENDING and target == RefundStatus.PROCESSED:
        local.status = RefundStatus.PROCESSED
        local.processed_at = now()
        fields += ["status", "processed_at"]
    elif local.status == RefundStatus.PENDING and target == RefundStatus.FAILED:
        _mark_failed(local, "Failed at Razorpay.")
        fields += ["status", "failure_reason"]
    return fields


def _changed(refund: Refund, payment: Payment, fields: list[str], source: str) -> None:
    """Saves the changed `fields` of a refund (its payment locked) under its next version; a
    new status is told to the app as an event."""
    refund.version += 1
    save_fields(refund, [*fields, "version", "updated_at"])
    if "status" in fields:
        payment_tell(
            payment=payment,
            type=f"refund.{refund.status}",
            about=refund,
            output=RefundOutput,
            source=source,
        )


def _mark_failed(refund: Refund, reason: str) -> None:
    refund.status = RefundStatus.FAILED
    refund.failure_reason = reason
    logger.warning("refund %s failed: %s", refund.id, reason)


# --- four-eyes approval -----------------------------------------------------------------------
def _requester(refund: Refund) -> str:
    """The staff user who asked for a refund ("user:<name>" in the admin, "command:<name>"
    with `--requested-by`); "" for an app's or the gateway's."""
    kind, _, name = refund.requested_by.partition(":")
    return name if kind in ("user", "command") else ""


def _review(refund_id: str, reviewer: str, reason: str, source: str, verb: str):
    """Locks the refund's payment and re-reads the refund: the one check of each decision,
    so of two that race the second finds it decided. Call inside atomic. (payment, refund)."""
    found = Refund.objects.filter(pk=refund_id).only("payment_id").first()
    if found is None:
        raise RefundNotFound(f"No refund {refund_id!r}.")
    payment = payment_lock(found.payment_id)
    refund = Refund.objects.get(pk=refund_id)
    if refund.status != RefundStatus.AWAITING_APPROVAL:
        decided = f" by {refund.reviewed_by}" if refund.reviewed_by else ""
        raise RefundNotAwaitingApproval(
            f"Refund {refund.id} is {refund.status}{decided}, no longer awaiting approval.",
            refundId=refund.id,
            refundStatus=refund.status,
        )
    if refund.approval_expires_at is not None and refund.approval_expires_at <= now():
        raise RefundNotAwaitingApproval(
            f"Refund {refund.id} was not approved in time "
            f"(by {refund.approval_expires_at:%Y-%m-%d %H:%M} UTC): it expires.",
            refundId=refund.id,
            refundStatus=RefundStatus.AWAITING_APPROVAL,
        )
    if not reviewer or reviewer == _requester(refund):
        raise RefundApprovalBySameUser(
            f"{reviewer or 'Someone unnamed'} asked for this refund: another finance user "
            f"must {verb} it.",
            refundId=refund.id,
        )
    refund.reviewed_by = reviewer[:150]
    refund.reviewed_at = now()
    refund.review_reason = reason[:255]
    return payment, refund


_REVIEWED = ["reviewed_by", "reviewed_at", "review_reason"]
_VIA = {Source.ADMIN: Via.ADMIN, Source.COMMAND: Via.COMMAND}


def _audit_review(refund: Refund, action: str, reviewer: str, reason: str, source: str) -> None:
    audit_record(
        actor=reviewer,
        via=_VIA.get(source, Via.ADMIN),
        action=action,
        object_type="payment",  # the payment's timeline shows it
        object_id=refund.payment_id,
        reason=reason,
        detail=f"refund {refund.id} of {refund.amount} {refund.currency} asked by "
        f"{refund.requested_by}",
    )


def refund_approve(
    *, refund_id: str, approver: str, reason: str, source: str = Source.ADMIN
) -> Refund:
    """awaiting_approval → pending, by a staff user other than the one who asked, then sent to
    Razorpay as any refund, after the commit (no lock across the call), and settled by its
    answer; returned as it then stands (failed if Razorpay refused it).

    The approval commits on its own, with its audit entry: if the process dies before the
    send, the refund is `pending` without a Razorpay id and the settle chore (`sync_refunds`)
    sends it under its own key, once. Raises `RefundNotAwaitingApproval` when it was decided
    (or expired) first, `RefundApprovalBySameUser` for its own requester."""
    with transaction.atomic():
        _payment, refund = _review(refund_id, approver, reason, source, "approve")
        refund.status = RefundStatus.PENDING
        # No event: `pending` is no news to the app (it learns the outcome, processed or
        # failed, from the next event, whose version is higher).
        refund.version += 1
        refund.save(update_fields=["status", *_REVIEWED, "version", "updated_at"])
        _audit_review(refund, Action.REFUND_APPROVE, approver, reason, source)
    logger.info("refund %s: approved by %s", refund.id, approver)
    crash_point("refund.approved")
    try:
        return _dispatch(refund, source=source, actor=approver)
    except GatewayRejected:
        return Refund.objects.get(pk=refund.pk)  # failed with Razorpay's reason


def refund_reject(
    *, refund_id: str, approver: str, reason: str, source: str = Source.ADMIN
) -> Refund:
    """awaiting_approval → failed, by a staff user other than the one who asked: its amount is
    refundable again and the app is told (`refund.failed`). Razorpay never heard of it."""
    with transaction.atomic():
        payment, refund = _review(refund_id, approver, reason, source, "reject")
        _mark_failed(refund, f"Rejected on review: {reason}" if reason else "Rejected on review.")
        _changed(refund, payment, ["status", "failure_reason", *_REVIEWED], source)
        _audit_review(refund, Action.REFUND_REJECT, approver, reason, source)
    return refund


def refund_expire_unapproved(*, source: str = Source.CHORE) -> int:
    """Fails every refund still awaiting approval past its deadline (the
    `expire_refund_approvals` chore): its amount is refundable again and the app is told
    (`refund.failed`). Each under its payment's lock and read again there, so an approval that
    won the race stays approved. How many expired."""
    expired = 0
    for refund_id, payment_id in refund_list_expired_approvals(before=now()):
        with transaction.atomic():
            payment = payment_lock(payment_id)
            refund = Refund.objects.get(pk=refund_id)
            deadline = refund.approval_expires_at
            if refund.status != RefundStatus.AWAITING_APPROVAL or deadline is None:
                continue
            if deadline > now():
                continue
            hours = round((deadline - refund.created_at).total_seconds() / 3600, 1)
            _mark_failed(refund, f"Not approved within {hours:g} h: expired unapproved.")
            _changed(refund, payment, ["status", "failure_reason"], source)
            expired += 1
    return expired


# --- sync -------------------------------------------------------------------------------------
def refund_sync(*, refund: Refund, source: str) -> Refund:
    """Asks Razorpay about a pending refund and settles it; a final one is returned as is.

    Without a Razorpay id (the create call's answer was lost) the refund is first looked for
    among the payment's refunds by its `refund_id` note, and only if absent sent again under
    the same idempotency key: even a key Razorpay has forgotten cannot refund twice then.
    """
    if refund.status != RefundStatus.PENDING:  # final, or not yet approved: nothing to ask
        return refund
    gateway = get_gateway()
    if refund.razorpay_refund_id:
        answer = gateway.fetch_refund(refund.razorpay_refund_id)
    else:
        sent = gateway.payment_refunds(refund.razorpay_payment_id)
        answer = next((r for r in sent if r.notes.get("refund_id") == refund.id), None)
        if answer is None:
            try:
                answer = _send(refund)
            except GatewayRejected as exc:
                return refund_fail(refund=refund, reason=exc.detail, source=source)
    return refund_apply_gateway(refund=answer, source=source, actor="refund_sync")


def refund_sync_unsettled(
    *, source: str, since: datetime | None = None, before: datetime | None = None
) -> Iterator[tuple[Refund, ServiceError | None]]:
    """`refund_sync` for every pending refund created in [since, before), oldest first: each
    refund as it now stands, with the problem that kept it from settling (None when it was
    asked). One refund's trouble never stops the others. `sync_refunds` and its chore."""
    for refund in refund_list_unsettled(since=since, before=before):
        try:
            yield refund_sync(refund=refund, source=source), None
        except ServiceError as exc:
            yield refund, exc
