"""Decisions on a refund awaiting approval, racing in real threads on PostgreSQL: two
approvers, approve against reject, approve against expiry. Each decision locks the payment and
reads the refund again under it, so exactly one wins and the other is told
`refund_not_awaiting_approval`; the refund reaches Razorpay at most once.

The test holds the payment's row lock itself until PostgreSQL shows both decisions queued
behind it, so they overlapped by construction (see reliability/locks.py)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from payments.models import Payment, Source
from payments_service.clock import now
from payments_service.integrations.razorpay import get_gateway
from refunds import services
from refunds.errors import RefundNotAwaitingApproval
from refunds.models import Refund
from reliability.locks import row_locked
from reliability.tests.conftest import postgres_only

pytestmark = [postgres_only, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def awaiting(payment, settings) -> Refund:
    settings.REFUND_APPROVAL_THRESHOLD = {"INR": 500}
    return services.refund_create_keyed(
        key="race",
        payment=Payment.objects.get(pk=payment["id"]),
        amount=800,
        reason="big one",
        requested_by="user:fiona",
        source=Source.ADMIN,
    )


def race(payment_id: str, *calls):
    """Runs `calls` in threads at once, queued behind the payment's lock until all wait; each
    one's result or the problem it raised."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        except RefundNotAwaitingApproval as exc:
            return exc
        finally:
            connection.close()

    with row_locked("payments_payment", payment_id) as lock, ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        try:
            waiters = lock.wait_for_waiters(len(calls))
        finally:
            lock.release()  # before the pool joins its threads, whatever happened
        results = [future.result(timeout=30) for future in futures]
    # Each queued on the payment's row (PostgreSQL may cut the query short of FOR UPDATE).
    assert all('FROM "payments_payment"' in query for _, query in waiters), waiters
    return results


def lost(results) -> list[RefundNotAwaitingApproval]:
    return [r for r in results if isinstance(r, RefundNotAwaitingApproval)]


def test_two_approvers_at_once_approve_it_once_and_send_it_once(awaiting, payment):
    results = race(
        payment["id"],
        lambda: services.refund_approve(refund_id=awaiting.id, approver="omar", reason="a"),
        lambda: services.refund_approve(refund_id=awaiting.id, approver="rita", reason="b"),
    )
    (loser,) = lost(results)
    assert loser.code == "refund_not_awaiting_approval" and loser.status == 409
    (winner,) = [r for r in results if isinstance(r, Refund)]
    refund = Refund.objects.get()
    assert refund.status in ("pending", "processed") and refund.razorpay_refund_id
    assert refund.reviewed_by == winner.reviewed_by
    assert len(get_gateway().payment_refunds(payment["razorpayPaymentId"])) == 1


def test_approve_against_reject_settles_once(awaiting, payment):
    results = race(
        payment["id"],
        lambda: services.refund_approve(refund_id=awaiting.id, approver="omar", reason="ok"),
        lambda: services.refund_reject(refund_id=awaiting.id, approver="rita", reason="no"),
    )
    (winner,) = [r for r in results if isinstance(r, Refund)]
    assert len(lost(results)) == 1
    refund = Refund.objects.get()
    sent = get_gateway().payment_refunds(payment["razorpayPaymentId"])
    if winner.reviewed_by == "rita":
        assert refund.status == "failed" and sent == []
    else:
        assert refund.status in ("pending", "processed") and len(sent) == 1
    assert refund.reviewed_by == winner.reviewed_by


def test_approve_against_expiry_settles_once(awaiting, payment, monkeypatch):
    """The worker's clock says the deadline has passed while the web's says it has not (two
    machines): whichever takes the payment's lock first decides, the other finds it decided."""
    deadline = now() + timedelta(hours=1)
    Refund.objects.filter(pk=awaiting.pk).update(approval_expires_at=deadline)
    worker = threading.local()
    monkeypatch.setattr(
        services,
        "now",
        lambda: deadline + timedelta(seconds=1) if getattr(worker, "late", 0) else now(),
    )

    def expire():
        worker.late = True
        return services.refund_expire_unapproved(source=Source.CHORE)

    def approve():
        return services.refund_approve(refund_id=awaiting.id, approver="omar", reason="ok")

    expired, approved = race(payment["id"], expire, approve)
    refund = Refund.objects.get()
    sent = get_gateway().payment_refunds(payment["razorpayPaymentId"])
    if expired == 1:  # expiry took the lock first: the approval found it failed
        assert isinstance(approved, RefundNotAwaitingApproval)
        assert refund.status == "failed" and sent == []
    else:  # the approval did: the expiry, reading it again under the lock, left it alone
        assert expired == 0 and isinstance(approved, Refund)
        assert refund.status in ("pending", "processed") and len(sent) == 1
