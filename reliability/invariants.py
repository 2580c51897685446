"""What must hold over the whole database once a fault scenario is over, whatever the fault.

- Payments agree with Razorpay: reconciliation finds no difference (status, amount, an order
  or refund on one side only), each payment has at most one order (found by its receipt) and
  that order is the one it links, and no request still holds a payment's order claim.
- Refunds never exceed what was captured, here (reserved and processed sums, the payment's
  `amount_refunded` and status) and at Razorpay (its refunds of the payment's capture).
- The audit trail is whole: each payment's transitions start at `created`, only move forward,
  chain from one to the next and end at the payment's status.
- Every idempotency key is finished (a stored 2xx answer) or no longer leased: none is left
  `in_progress` with a live lease, which would answer 409 to the client's retry.
- Every webhook event is processed, ignored or failed, the latter two with their reason: none
  is left `pending`.

`assert_invariants()` polls until they hold (webhooks and refund settlements may still be
landing when a scenario ends) and fails with every violation found in the last round.
"""

from datetime import timedelta
from itertools import pairwise

from django.db.models import Min, Sum

from backoffice.reconcile import reconcile
from clients.models import IdempotencyKey
from payments.models import PAID, RANK, Payment, PaymentStatus, PaymentStatusChange
from payments_service.clock import now
from payments_service.integrations.razorpay import GatewayError, get_gateway
from refunds.models import Refund, RefundStatus
from webhooks.models import WebhookEvent

from .waiting import wait_until

ACTOR = "reliability-invariants"


def assert_invariants(*, within: float = 15.0) -> None:
    """Passes once every invariant holds; fails after `within` seconds listing what does not."""
    last: list[str] = []

    def hold() -> bool:
        last[:] = invariant_violations()
        return not last

    try:
        wait_until(hold, timeout=within, what="the invariants to hold", interval=0.25)
    except AssertionError:
        raise AssertionError(
            f"{len(last)} invariant violation(s):\n  " + "\n  ".join(last)
        ) from None


def invariant_violations() -> list[str]:
    return [
        *_payments_agree_with_gateway(),
        *_one_order_per_payment(),
        *_refunds_within_captured(),
        *_audit_trail_whole(),
        *_idempotency_keys_settled(),
        *_webhook_events_settled(),
    ]


def _payments_agree_with_gateway() -> list[str]:
    """Reconciliation (the back office's own, read-only) over every payment there is."""
    current = now()
    first = Payment.objects.aggregate(first=Min("created_at"))["first"] or current
    report = reconcile(
        since=first - timedelta(minutes=1), until=current + timedelta(minutes=1), actor=ACTOR
    )
    # "stuck" is about age (RECONCILE_STUCK_AFTER), never reached by a scenario of seconds.
    return [
        f"reconcile: {m.kind} {m.subject}: {m.detail}"
        for m in report.mismatches
        if m.kind != "stuck"
    ]


def _one_order_per_payment() -> list[str]:
    gateway = get_gateway()
    found = []
    for payment in Payment.objects.all():
        found += _asking(payment, lambda p=payment: _orders_of(gateway, p))
        if payment.order_claimed_until and payment.order_claimed_until > now():
            found.append(f"payment {payment.id} still holds a live order claim")
    return found


def _orders_of(gateway, payment: Payment) -> list[str]:
    found = []
    orders = gateway.find_orders_by_receipt(payment.receipt)
    linked = [payment.razorpay_order_id] if payment.razorpay_order_id else []
    if [order.id for order in orders] != linked:
        found.append(
            f"payment {payment.id} links {linked or 'no order'}, Razorpay has "
            f"{[order.id for order in orders] or 'none'} for its receipt"
        )
    for order in orders:
        if (order.amount, order.currency) != (payment.amount, payment.currency):
            found.append(
                f"order {order.id} is {order.amount} {order.currency}, payment "
                f"{payment.id} is {payment.amount} {payment.currency}"
            )
    return found


def _refunds_within_captured() -> list[str]:
    gateway = get_gateway()
    found = []
    for payment in Payment.objects.all():
        # Refunds of the captured attempt (not of a duplicate capture, which Razorpay returns).
        own = Refund.objects.filter(
            payment=payment, razorpay_payment_id=payment.razorpay_payment_id
        )
        reserved = _total(own.exclude(status=RefundStatus.FAILED))
        processed = _total(own.filter(status=RefundStatus.PROCESSED))
        if reserved > payment.amount:
            found.append(f"payment {payment.id}: refunds hold {reserved} of {payment.amount}")
        if payment.amount_refunded != processed:
            found.append(
                f"payment {payment.id}: amountRefunded {payment.amount_refunded}, its processed "
                f"refunds add up to {processed}"
            )
        expected = _status_for_refunded(payment)
        if expected and payment.status != expected:
            found.append(
                f"payment {payment.id} is {payment.status} with {payment.amount_refunded} of "
                f"{payment.amount} refunded (expected {expected})"
            )
        if payment.status not in PAID and Refund.objects.filter(payment=payment).exists():
            found.append(f"payment {payment.id} is {payment.status} but has refunds")
        if payment.razorpay_payment_id and payment.status in PAID:
            found += _asking(payment, lambda p=payment: _refunded_at_gateway(gateway, p))
    return found


def _refunded_at_gateway(gateway, payment: Payment) -> list[str]:
    found = []
    theirs = gateway.payment_refunds(payment.razorpay_payment_id)
    held = sum(r.amount for r in theirs if r.status != "failed")
    if held > payment.amount:
        found.append(f"Razorpay refunds {held} of payment {payment.id}'s {payment.amount}")
    attempt = gateway.fetch_payment(payment.razorpay_payment_id)
    if attempt.amount_refunded > attempt.amount:
        found.append(
            f"Razorpay payment {attempt.id} refunded {attempt.amount_refunded} of {attempt.amount}"
        )
    return found


def _asking(payment: Payment, check) -> list[str]:
    """A check that asks Razorpay; its failure to answer is a violation too (faults must be
    over when the invariants are checked)."""
    try:
        return check()
    except GatewayError as exc:
        return [f"payment {payment.id}: Razorpay could not be asked: {exc.detail}"]


def _total(refunds) -> int:
    return refunds.aggregate(total=Sum("amount"))["total"] or 0


def _status_for_refunded(payment: Payment) -> str | None:
    if payment.status not in PAID:
        return None
    if payment.amount_refunded >= payment.amount:
        return PaymentStatus.REFUNDED
    if payment.amount_refunded > 0:
        return PaymentStatus.PARTIALLY_REFUNDED
    return PaymentStatus.CAPTURED


def _audit_trail_whole() -> list[str]:
    found = []
    changes: dict[str, list[PaymentStatusChange]] = {}
    for change in PaymentStatusChange.objects.order_by("created_at", "id"):
        changes.setdefault(change.payment_id, []).append(change)
    for payment in Payment.objects.all():
        trail = [(c.from_status, c.to_status) for c in changes.get(payment.id, [])]
        steps = [status for _, status in trail]
        whole = (
            bool(trail)
            and trail[0] == ("", PaymentStatus.CREATED)
            and all(prev == frm for (_, prev), (frm, _) in pairwise(trail))
            and all(RANK[a] < RANK[b] for a, b in pairwise(steps))
            and steps[-1] == payment.status
        )
        if not whole:
            found.append(f"payment {payment.id} is {payment.status}, its trail is {trail}")
    return found


def _idempotency_keys_settled() -> list[str]:
    found = []
    leased = IdempotencyKey.objects.filter(
        status=IdempotencyKey.Status.IN_PROGRESS, locked_until__gt=now()
    )
    for key in leased:
        found.append(f"idempotency key {key.operation} {key.key!r} still in progress and leased")
    for key in IdempotencyKey.objects.filter(status=IdempotencyKey.Status.COMPLETED):
        if not (key.response_status and 200 <= key.response_status < 300) or not key.response_body:
            found.append(f"idempotency key {key.operation} {key.key!r} completed without a 2xx")
    return found


def _webhook_events_settled() -> list[str]:
    found = []
    for event in WebhookEvent.objects.all():
        if event.status == WebhookEvent.Status.PENDING:
            found.append(f"webhook event {event.event_id} ({event.event_type}) still pending")
        elif event.status != WebhookEvent.Status.PROCESSED and not event.last_error:
            found.append(f"webhook event {event.event_id} is {event.status} with no reason")
    return found
