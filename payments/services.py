"""Every write to a payment. The API, webhooks, the admin and commands all come through here.

Rules kept by every function: the payment row is locked (`_locked`) only inside short
transactions and never across a gateway call; status only moves forward (`RANK`); every
transition is recorded in `PaymentStatusChange`.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from clients.models import ClientApp
from notifications.services import event_record
from payments_service.clock import now
from payments_service.crashpoints import crash_point
from payments_service.db import Select, insert_row, save_fields, update_row
from payments_service.integrations.razorpay import (
    GatewayError,
    GatewayOrder,
    GatewayPayment,
    get_gateway,
)
from payments_service.logs import log_context_bind
from payments_service.metrics import PAYMENT_TRANSITIONS

from .errors import (
    PaymentAlreadyPaid,
    PaymentConflict,
    PaymentFailed,
    PaymentInitiationInProgress,
    PaymentMismatch,
    PaymentNotFound,
    SignatureInvalid,
)
from .models import (
    EVENT_ACTOR,
    GATEWAY_STATUS,
    RANK,
    Payment,
    PaymentAttempt,
    PaymentStatus,
    PaymentStatusChange,
    Source,
)
from .serializers import PaymentOutput

logger = logging.getLogger(__name__)

_ATTEMPT_RANK = {"created": 0, "failed": 1, "authorized": 2, "captured": 3, "refunded": 4}


def _locked():
    """The one queryset that locks payment rows (callers lock one row, so order is trivial).
    `of=self`: joined rows (the client app) stay unlocked, or every payment of one app would
    queue behind every other."""
    return Payment.objects.select_for_update(of=("self",)).select_related("client_app")


# Compiled once: every confirm, webhook and refund locks a payment (see payments_service.db).
_LOCK_BY_ID = Select(lambda payment_id: _locked().filter(pk=payment_id)[:1])
_LOCK_BY_ORDER = Select(lambda order_id: _locked().filter(razorpay_order_id=order_id)[:1])
_BY_ORDER = Select(
    lambda order_id: Payment.objects.select_related("client_app").filter(
        razorpay_order_id=order_id
    )[:1]
)
_ATTEMPT = Select(
    lambda attempt_id: PaymentAttempt.objects.filter(razorpay_payment_id=attempt_id)[:1]
)


def payment_lock(payment_id: str = "", *, order_id: str = "") -> Payment:
    """The payment row, by id or by its Razorpay order id, locked until the caller's
    transaction ends (call inside atomic)."""
    if order_id:
        payment = _LOCK_BY_ORDER.first(order_id=order_id)
    else:
        payment = _LOCK_BY_ID.first(payment_id=payment_id)
    if payment is None:
        raise PaymentNotFound(f"No payment {payment_id or order_id!r}.")
    log_context_bind(payment_id=payment.id)
    return payment


def payment_transition(
    *, payment: Payment, to: str, source: str, actor: str = "", reason: str = "", **changes
) -> bool:
    """Moves a locked payment forward to `to`, with the other fields the same news brings
    (`changes`), and records the transition and its event; a step back is a no-op (False)."""
    if RANK[to] <= RANK[payment.status]:
        return False
    insert_row(
        PaymentStatusChange(
            payment=payment,
            from_status=payment.status,
            to_status=to,
            source=source,
            actor=actor[:150],
            reason=reason[:255],
        )
    )
    transaction.on_commit(PAYMENT_TRANSITIONS.labels(payment.status, to).inc)  # not if undone
    payment.status = to
    for field, value in changes.items():
        setattr(payment, field, value)
    _changed(payment, ["status", *changes], source)
    return True


def _changed(payment: Payment, fields: list[str], source: str) -> None:
    """Saves a locked payment's changed `fields` under its next version and tells its app
    (the event of its status: every status a payment moves on to has one)."""
    payment.version += 1
    save_fields(payment, [*fields, "version", "updated_at"])
    payment_tell(
        payment=payment,
        type=f"payment.{payment.status}",
        about=payment,
        output=PaymentOutput,
        source=source,
    )


def payment_tell(*, payment: Payment, type: str, about, output, source: str) -> None:
    """Tells the payment's app, in the caller's transaction, of a change to `about` (the payment
    itself, or one of its refunds or disputes) as the API shows it: `output`, its serializer."""
    event_record(
        client_app=payment.client_app,
        type=type,
        object_id=about.id,
        data=output(about).data,
        actor=EVENT_ACTOR[source],
    )


# --- initiate ---------------------------------------------------------------------------------
def payment_initiate(
    *,
    client_app: ClientApp,
    external_ref: str,
    amount: int,
    currency: str,
    email: str = "",
    contact: str = "",
    metadata: dict[str, str] | None = None,
) -> tuple[Payment, bool]:
    """The payment for (app, externalRef) with its Razorpay order, and whether this call
    completed it (True) or found it already initiated (False).

    The row is written first, with a claim, and only then is the order created, its receipt
    being the payment id: a crash in between is recovered by the next call, which finds the
    order by receipt instead of creating a second one.
    """
    payment, inserted = _payment_insert_or_get(
        client_app=client_app,
        external_ref=external_ref,
        amount=amount,
        currency=currency,
        email=email,
        contact=contact,
        metadata=metadata or {},
    )
    log_context_bind(payment_id=payment.id)
    if inserted:  # the customer, for support to find it (the log masks both)
        logger.info("payment %s created: customer %s %s", payment.id, email or "-", contact or "-")
    else:
        if payment.amount != amount or payment.currency != currency:
            raise PaymentConflict(
                f"externalRef {external_ref!r} is payment {payment.id} of "
                f"{payment.amount} {payment.currency}.",
                paymentId=payment.id,
            )
        if RANK[payment.status] >= RANK[PaymentStatus.AUTHORIZED]:
            raise PaymentAlreadyPaid(
                f"Payment {payment.id} for externalRef {external_ref!r} is already "
                f"{payment.status}.",
                paymentId=payment.id,
            )
        if payment.razorpay_order_id:
            return payment, False
        if not _claim_order(payment):
            payment.refresh_from_db()
            if payment.razorpay_order_id:
                return payment, False
            raise PaymentInitiationInProgress(retry_after=2, paymentId=payment.id)
    crash_point("payment.reserved")
    try:
        order = _order_for(payment, recovering=not inserted)
    except GatewayError:
        update_row(Payment, payment.pk, order_claimed_until=None)
        raise
    crash_point("payment.order_created")
    update_row(Payment, payment.pk, razorpay_order_id=order.id, order_claimed_until=None)
    payment.razorpay_order_id = order.id
    return payment, True


def _claim_deadline():
    return now() + timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)


def _payment_insert_or_get(*, client_app: ClientApp, **fields) -> tuple[Payment, bool]:
    try:
        with transaction.atomic():
            payment = insert_row(
                Payment(client_app=client_app, order_claimed_until=_claim_deadline(), **fields)
            )
            insert_row(
                PaymentStatusChange(
                    payment=payment,
                    to_status=PaymentStatus.CREATED,
                    source=Source.API,
                    actor=client_app.name,
                )
            )
            return payment, True
    except IntegrityError:
        payment = Payment.objects.get(client_app=client_app, external_ref=fields["external_ref"])
        payment.client_app = client_app
        return payment, False


def _claim_order(payment: Payment) -> bool:
    """Whether this request may create the order: nobody holds a live claim on it."""
    unclaimed = Q(order_claimed_until__isnull=True) | Q(order_claimed_until__lt=now())
    free = Payment.objects.filter(unclaimed, pk=payment.pk, razorpay_order_id__isnull=True)
    return free.update(order_claimed_until=_claim_deadline()) == 1


def _order_for(payment: Payment, *, recovering: bool) -> GatewayOrder:
    gateway = get_gateway()
    if recovering:
        for order in gateway.find_orders_by_receipt(payment.receipt):
            if order.amount == payment.amount and order.currency == payment.currency:
                logger.info("payment %s: reusing order %s found by receipt", payment.id, order.id)
                return order
    notes = {
        **payment.metadata,
        "payment_id": payment.id,
        "source_app": payment.client_app.name,
        "external_ref": payment.external_ref,
    }
    return gateway.create_order(
        amount=payment.amount, currency=payment.currency, receipt=payment.receipt, notes=notes
    )


# --- confirm ----------------------------------------------------------------------------------
def payment_confirm(*, order_id: str, payment_id: str, signature: str) -> Payment:
    """Checkout's handler fields in, the payment out: signature checked against our own
    order id, the payment fetched from Razorpay (the browser is not trusted about amount or
    status), captured if only authorized. Repeating it is harmless."""
    payment = _payment_of_order(order_id)
    gateway = get_gateway()
    if not gateway.checkout_signature_valid(
        order_id=payment.razorpay_order_id, payment_id=payment_id, signature=signature
    ):
        logger.warning("payment %s: invalid checkout signature for %s", payment.id, payment_id)
        raise SignatureInvalid("The signature does not match this order and payment.")
    if payment.is_paid and payment.razorpay_payment_id == payment_id:
        return payment
    attempt = gateway.fetch_payment(payment_id)
    _check_belongs(payment, attempt)
    return _confirm_attempt(attempt)


def payment_confirm_failure(*, order_id: str, payment_id: str) -> Payment:
    """Checkout's failure report (the redirect's form post or a `payment.failed` handler's
    object) in. Only its ids are used, and nothing in it is trusted: the payment is fetched from
    Razorpay, checked to be of our order, and applied (its attempt recorded with Razorpay's
    error). Razorpay's status decides the answer, not the browser's report:

    - failed, and no other attempt has paid the payment: PaymentFailed (402), `retryable`
      while Razorpay's order still takes payments (its status is not `paid`);
    - anything else (the report was wrong, or late): what confirm answers, the payment, with an
      authorized attempt captured; a failed attempt after a successful one changes nothing.
    """
    payment = _payment_of_order(order_id)
    gateway = get_gateway()
    attempt = gateway.fetch_payment(payment_id)
    _check_belongs(payment, attempt)
    if attempt.status != "failed":
        logger.warning(
            "payment %s: failure reported for %s, which Razorpay has %s",
            payment.id,
            attempt.id,
            attempt.status,
        )
        return _confirm_attempt(attempt)
    payment = payment_apply_attempt(attempt=attempt, source=Source.API, actor="checkout")
    if RANK[payment.status] >= RANK[PaymentStatus.AUTHORIZED]:
        return payment
    order = gateway.fetch_order(payment.razorpay_order_id)
    raise PaymentFailed(
        f"Razorpay payment {attempt.id} failed: {attempt.error_description or 'no reason given'}",
        paymentId=payment.id,
        gatewayCode=attempt.error_code or "",
        gatewayDescription=attempt.error_description or "",
        gatewayReason=attempt.error_reason or "",
        retryable=order.status != "paid",
    )


def _payment_of_order(order_id: str) -> Payment:
    payment = _BY_ORDER.first(order_id=order_id)
    if payment is None:
        raise PaymentNotFound(f"No payment has the Razorpay order {order_id!r}.")
    log_context_bind(payment_id=payment.id)
    return payment


def _confirm_attempt(attempt: GatewayPayment) -> Payment:
    """Applies an attempt of the payment's order, captured first if only authorized."""
    if attempt.status == "authorized":
        attempt = get_gateway().capture_payment(
            payment_id=attempt.id, amount=attempt.amount, currency=attempt.currency
        )
    return payment_apply_attempt(attempt=attempt, source=Source.API, actor="checkout")


def payment_capture(*, payment: Payment, source: str, actor: str) -> Payment:
    """Captures the authorized attempt (admin, commands)."""
    gateway = get_gateway()
    attempt = gateway.capture_payment(
        payment_id=payment.razorpay_payment_id, amount=payment.amount, currency=payment.currency
    )
    return payment_apply_attempt(attempt=attempt, source=source, actor=actor)


def payment_sync(*, payment: Payment, source: str, actor: str) -> Payment:
    """Applies every attempt Razorpay has under the payment's order (admin, reconcile)."""
    if not payment.razorpay_order_id:
        return payment
    for attempt in get_gateway().order_payments(payment.razorpay_order_id):
        payment = payment_apply_attempt(attempt=attempt, source=source, actor=actor)
    return payment


def _check_belongs(payment: Payment, attempt: GatewayPayment) -> None:
    if attempt.order_id != payment.razorpay_order_id:
        raise PaymentMismatch(
            f"Razorpay payment {attempt.id} belongs to order {attempt.order_id}, "
            f"not {payment.razorpay_order_id}."
        )
    if attempt.amount != payment.amount or attempt.currency != payment.currency:
        raise PaymentMismatch(
            f"Razorpay payment {attempt.id} is {attempt.amount} {attempt.currency}, "
            f"payment {payment.id} is {payment.amount} {payment.currency}."
        )


def payment_apply_attempt(*, attempt: GatewayPayment, source: str, actor: str = "") -> Payment:
    """Records what Razorpay says of one payment attempt and moves the payment of its order
    forward (PaymentNotFound: the order is not ours).

    Order-independent: an attempt's status and the payment's status only ever rise, so any
    delivery order of the same facts ends in the same state.
    """
    # No savepoint of its own inside a caller's transaction (a webhook's): nobody catches an
    # error between the two, so the caller's rollback covers these writes.
    with transaction.atomic(savepoint=False):
        payment = payment_lock(order_id=attempt.order_id)
        _check_belongs(payment, attempt)
        _attempt_upsert(payment, attempt)
        target = GATEWAY_STATUS.get(attempt.status)
        reason = f"{attempt.id} {attempt.status}"
        if attempt.error_reason:
            reason += f" ({attempt.error_reason})"
        if target:
            # A failed attempt is not the payment's: only a successful one becomes its id.
            paid_by = {} if target == PaymentStatus.FAILED else {"razorpay_payment_id": attempt.id}
            payment_transition(
                payment=payment, to=target, source=source, actor=actor, reason=reason, **paid_by
            )
    return payment


def _attempt_upsert(payment: Payment, attempt: GatewayPayment) -> None:
    # The payment row is locked, so this attempt's row cannot be written concurrently.
    fields = {
        "status": attempt.status,
        "method": attempt.method or "",
        "amount": attempt.amount,
        "error_code": attempt.error_code or "",
        "error_description": attempt.error_description or "",
        "error_source": attempt.error_source or "",
        "error_step": attempt.error_step or "",
        "error_reason": attempt.error_reason or "",
    }
    row = _ATTEMPT.first(attempt_id=attempt.id)
    if row is None:
        insert_row(PaymentAttempt(payment=payment, razorpay_payment_id=attempt.id, **fields))
    elif _ATTEMPT_RANK.get(attempt.status, 0) > _ATTEMPT_RANK.get(row.status, 0):
        update_row(PaymentAttempt, row.pk, updated_at=now(), **fields)


# --- refunds ----------------------------------------------------------------------------------
def payment_record_refunded(
    *, payment: Payment, amount_refunded: int, source: str, actor: str = "", reason: str = ""
) -> None:
    """On a locked payment: its processed refunds now add up to `amount_refunded`, which moves
    it to partially_refunded or refunded (never back); a further partial refund keeps the
    status, and is told as partially_refunded again."""
    if amount_refunded == payment.amount_refunded:
        return
    to = (
        PaymentStatus.REFUNDED
        if amount_refunded >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    moved = payment_transition(
        payment=payment,
        to=to,
        source=source,
        actor=actor,
        reason=reason,
        amount_refunded=amount_refunded,
    )
    if not moved:
        payment.amount_refunded = amount_refunded
        _changed(payment, ["amount_refunded"], source)


# --- disputes ---------------------------------------------------------------------------------
def payment_record_disputes(
    *, payment: Payment, amount_disputed: int, amount_lost_to_disputes: int
) -> None:
    """On a locked payment: what its disputes now hold open and have taken back (the disputes
    app, after each change to one). Client apps hear of disputes by their own events, so the
    payment's version and events stay as they are."""
    changed = {
        field: value
        for field, value in (
            ("amount_disputed", amount_disputed),
            ("amount_lost_to_disputes", amount_lost_to_disputes),
        )
        if getattr(payment, field) != value
    }
    if not changed:
        return
    for field, value in changed.items():
        setattr(payment, field, value)
    payment.save(update_fields=[*changed, "updated_at"])
