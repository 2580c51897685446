"""Reads of refunds."""

from datetime import datetime

from django.db.models import QuerySet, Sum

from clients.models import ClientApp
from payments.models import Payment

from .models import Refund, RefundStatus


def refund_get(*, client_app: ClientApp, refund_id: str) -> Refund | None:
    """Another app's refund is simply not there."""
    return Refund.objects.filter(payment__client_app=client_app, pk=refund_id).first()


def refund_list(*, payment: Payment) -> QuerySet[Refund]:
    return Refund.objects.filter(payment=payment).order_by("-created_at", "-id")


def refund_list_unsettled(
    *, since: datetime | None = None, before: datetime | None = None
) -> QuerySet[Refund]:
    """Pending refunds (created in [since, before)), oldest first: what `sync_refunds` and its
    chore ask Razorpay about."""
    refunds = Refund.objects.filter(status=RefundStatus.PENDING)
    if since is not None:
        refunds = refunds.filter(created_at__gte=since)
    if before is not None:
        refunds = refunds.filter(created_at__lt=before)
    return refunds.order_by("created_at", "id")


def refund_list_awaiting_approval() -> QuerySet[Refund]:
    """The approval queue, oldest first."""
    return Refund.objects.filter(status=RefundStatus.AWAITING_APPROVAL).order_by("created_at", "id")


def refund_list_expired_approvals(*, before: datetime) -> list[tuple[str, str]]:
    """(refund id, payment id) of refunds still awaiting approval whose deadline is before
    `before`, oldest first."""
    expired = refund_list_awaiting_approval().filter(approval_expires_at__lte=before)
    return list(expired.values_list("pk", "payment_id"))


def _of_captured_attempt(payment: Payment) -> QuerySet[Refund]:
    # A refund of another attempt (a duplicate capture) gives back money this payment never
    # counted: it neither holds nor refunds any of the payment's amount.
    return Refund.objects.filter(payment=payment, razorpay_payment_id=payment.razorpay_payment_id)


def refund_reserved_amount(*, payment: Payment) -> int:
    """What the payment's refunds hold: every refund that has not failed. Exact only while the
    payment row is locked."""
    refunds = _of_captured_attempt(payment).exclude(status=RefundStatus.FAILED)
    return refunds.aggregate(total=Sum("amount"))["total"] or 0


def refund_processed_amount(*, payment: Payment) -> int:
    refunds = _of_captured_attempt(payment).filter(status=RefundStatus.PROCESSED)
    return refunds.aggregate(total=Sum("amount"))["total"] or 0
