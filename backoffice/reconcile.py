"""Reconciliation: our payments and refunds against Razorpay's, for a window of time.

Reports every difference; with `fix`, applies Razorpay's truth through the same service
functions as the API and webhooks (so a fix is recorded like any other transition). What
cannot be fixed by taking Razorpay's word (we are ahead of it, an order we never saw) is
reported for a person to look at.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import TruncDate

from payments import services as payments
from payments.models import GATEWAY_STATUS, PAID, RANK, Payment, PaymentStatus, Source
from payments_service.clock import now
from payments_service.errors import ServiceError
from payments_service.integrations.razorpay import GatewayError, get_gateway
from refunds import services as refunds
from refunds.models import Refund, RefundStatus

from .models import ReconciliationReport

logger = logging.getLogger(__name__)


@dataclass
class Mismatch:
    kind: str  # missing_locally, missing_at_gateway, status_differs, amount_differs, stuck, error
    subject: str  # our payment/refund id, or Razorpay's id when we have none
    detail: str
    fixable: bool = False
    fixed: bool = False


@dataclass
class DailyTotal:
    day: object
    currency: str
    captured: int
    refunded: int
    deducted: int = 0  # taken back by Razorpay for lost disputes

    @property
    def net(self) -> int:
        return self.captured - self.refunded - self.deducted


@dataclass
class Report:
    since: datetime
    until: datetime
    payments_checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    totals: list[DailyTotal] = field(default_factory=list)

    @property
    def unresolved(self) -> list[Mismatch]:
        return [m for m in self.mismatches if not m.fixed]


def reconcile(*, since: datetime, until: datetime, fix: bool = False, actor: str) -> Report:
    report = Report(since=since, until=until)
    stuck_before = now() - timedelta(seconds=settings.RECONCILE_STUCK_AFTER_SECONDS)
    gateway = get_gateway()
    known_orders = set()
    payments_in_window = Payment.objects.filter(created_at__gte=since, created_at__lt=until)
    for payment in payments_in_window.select_related("client_app").order_by("created_at"):
        report.payments_checked += 1
        known_orders.add(payment.razorpay_order_id)
        try:
            found = _check_payment(payment, gateway, stuck_before)
        except GatewayError as exc:
            found = [Mismatch("error", payment.id, f"Razorpay could not be asked: {exc.detail}")]
        if fix:
            for mismatch in found:
                if mismatch.fixable:
                    _fix(mismatch, payment, actor)
        report.mismatches += found
    report.mismatches += _orders_missing_locally(gateway, since, until, known_orders)
    report.totals = daily_totals(since=since, until=until)
    return report


def reconcile_store(
    *, since: datetime, until: datetime, fix: bool, requested_by: str
) -> ReconciliationReport:
    """Reconciles the window and keeps the report: what the admin's page shows (the chore's
    daily run, or an operator's window or fix, run by the worker)."""
    report = reconcile(since=since, until=until, fix=fix, actor=requested_by)
    return ReconciliationReport.objects.create(
        since=since,
        until=until,
        fix=fix,
        requested_by=requested_by,
        payments_checked=report.payments_checked,
        mismatches=[asdict(mismatch) for mismatch in report.mismatches],
        totals=[
            {
                "day": total.day.isoformat(),
                "currency": total.currency,
                "captured": total.captured,
                "refunded": total.refunded,
                "deducted": total.deducted,
            }
            for total in report.totals
        ],
    )


def _check_payment(payment: Payment, gateway, stuck_before: datetime) -> list[Mismatch]:
    found: list[Mismatch] = []
    if not payment.razorpay_order_id:
        if payment.created_at < stuck_before:
            found.append(Mismatch("stuck", payment.id, "created without a Razorpay order"))
        return found
    attempts = gateway.order_payments(payment.razorpay_order_id)
    for attempt in attempts:
        if attempt.amount != payment.amount or attempt.currency != payment.currency:
            found.append(
                Mismatch(
                    "amount_differs",
                    payment.id,
                    f"attempt {attempt.id} is {attempt.amount} {attempt.currency}, ours is "
                    f"{payment.amount} {payment.currency}",
                )
            )
    statuses = [GATEWAY_STATUS[a.status] for a in attempts if a.status in GATEWAY_STATUS]
    theirs = max(statuses, key=RANK.__getitem__, default=PaymentStatus.CREATED)
    ours = PaymentStatus.CAPTURED if payment.status in PAID else payment.status
    if RANK[theirs] > RANK[ours]:
        found.append(
            Mismatch("status_differs", payment.id, f"ours {ours}, Razorpay's {theirs}", True)
        )
    elif RANK[theirs] < RANK[ours]:
        found.append(
            Mismatch("missing_at_gateway", payment.id, f"ours {ours}, Razorpay's only {theirs}")
        )
    elif ours == PaymentStatus.CREATED and payment.created_at < stuck_before:
        found.append(Mismatch("stuck", payment.id, "still created (never paid)"))
    if payment.razorpay_payment_id and payment.status in PAID:
        found += _check_refunds(payment, gateway, stuck_before)
    return found


def _check_refunds(payment: Payment, gateway, stuck_before: datetime) -> list[Mismatch]:
    found: list[Mismatch] = []
    theirs = {r.id: r for r in gateway.payment_refunds(payment.razorpay_payment_id)}
    ours = list(Refund.objects.filter(payment=payment))
    by_razorpay_id = {r.razorpay_refund_id: r for r in ours if r.razorpay_refund_id}
    by_note = {r.notes.get("refund_id"): r for r in theirs.values()}
    for refund_id, refund in theirs.items():
        local = by_razorpay_id.get(refund_id) or _by_id(ours, refund.notes.get("refund_id"))
        if local is None:
            found.append(
                Mismatch(
                    "missing_locally",
                    refund_id,
                    f"refund of {refund.amount} {refund.currency} on {payment.id}",
                    True,
                )
            )
        elif local.status != refund.status or local.razorpay_refund_id != refund_id:
            found.append(
                Mismatch(
                    "status_differs",
                    local.id,
                    f"ours {local.status}, Razorpay's {refund.status} ({refund_id})",
                    True,
                )
            )
    for local in ours:
        if local.razorpay_refund_id and local.razorpay_refund_id not in theirs:
            found.append(
                Mismatch("missing_at_gateway", local.id, f"{local.razorpay_refund_id} unknown")
            )
        elif (
            local.status == RefundStatus.PENDING
            and local.id not in by_note
            and local.created_at < stuck_before
        ):
            found.append(Mismatch("stuck", local.id, "pending, never reached Razorpay", True))
    return found


def _by_id(refunds: list[Refund], refund_id: str | None) -> Refund | None:
    return next((r for r in refunds if r.id == refund_id), None)


def _fix(mismatch: Mismatch, payment: Payment, actor: str) -> None:
    try:
        if mismatch.subject.startswith("rfd_"):
            refunds.refund_sync(
                refund=Refund.objects.get(pk=mismatch.subject), source=Source.RECONCILE
            )
        elif mismatch.subject.startswith("rfnd_"):
            refunds.refund_apply_gateway(
                refund=get_gateway().fetch_refund(mismatch.subject),
                source=Source.RECONCILE,
                actor=actor,
            )
        else:
            payments.payment_sync(payment=payment, source=Source.RECONCILE, actor=actor)
    except ServiceError as exc:
        mismatch.detail += f" (fix failed: {exc.detail})"
        return
    mismatch.fixed = True


def _orders_missing_locally(gateway, since, until, known: set) -> list[Mismatch]:
    """Orders whose receipt says we made them, but which we do not have."""
    try:
        orders = gateway.list_orders(
            created_from=int(since.timestamp()), created_to=int(until.timestamp())
        )
    except GatewayError as exc:
        return [Mismatch("error", "-", f"Razorpay's orders could not be listed: {exc.detail}")]
    ours = [o for o in orders if o.id not in known and (o.receipt or "").startswith("pmt_")]
    # Orders of payments outside the window are ours too: one query finds them all.
    elsewhere = set(
        Payment.objects.filter(razorpay_order_id__in=[o.id for o in ours]).values_list(
            "razorpay_order_id", flat=True
        )
    )
    return [
        Mismatch(
            "missing_locally",
            order.id,
            f"receipt {order.receipt}, {order.amount} {order.currency}, status {order.status}",
        )
        for order in ours
        if order.id not in elsewhere
    ]


def daily_totals(*, since: datetime, until: datetime) -> list[DailyTotal]:
    """Captured, refunded, deducted for lost disputes and net per day and currency (by the
    payment's creation day)."""
    paid = (
        Payment.objects.filter(created_at__gte=since, created_at__lt=until, status__in=PAID)
        .annotate(day=TruncDate("created_at"))
        .values("day", "currency")
        .annotate(
            captured=Sum("amount"),
            refunded=Sum("amount_refunded"),
            deducted=Sum("amount_lost_to_disputes"),
        )
        .order_by("day", "currency")
    )
    return [
        DailyTotal(row["day"], row["currency"], row["captured"], row["refunded"], row["deducted"])
        for row in paid
    ]
