"""The disputes console and its answers, as support and finance see them."""

from datetime import timedelta

import pytest

from audit.models import AuditEntry
from backoffice.tests.conftest import staff
from disputes.models import Dispute
from payments.models import Payment
from payments_service.clock import now
from refunds.models import Refund
from webhooks.tests.events import deliver

pytestmark = pytest.mark.django_db


def _dispute(payment: Payment, status: str, respond_in: timedelta, **fields) -> Dispute:
    return Dispute.objects.create(
        razorpay_dispute_id=f"disp_{status[:4]}{int(respond_in.total_seconds()) % 10**9:010d}",
        payment=payment,
        razorpay_payment_id=payment.razorpay_payment_id,
        amount=500,
        currency="INR",
        status=status,
        respond_by=now() + respond_in,
        opened_at=now(),
        source="webhook",
        **fields,
    )


def test_the_console_lists_undecided_disputes_first_by_respond_by_and_flags_the_overdue(paid):
    decided = _dispute(paid, "won", timedelta(hours=-100))
    later = _dispute(paid, "open", timedelta(days=5))
    overdue = _dispute(paid, "under_review", timedelta(hours=-2))
    soon = _dispute(paid, "open", timedelta(hours=20))

    page = staff("sam", "support").get("/admin/disputes/dispute/").content.decode()

    positions = [page.index(d.id) for d in (overdue, soon, later, decided)]
    assert positions == sorted(positions)
    assert page.count("overdue</strong>") == 1 and page.count("due soon</strong>") == 1


def test_support_reads_a_dispute_but_only_finance_may_answer_it(paid):
    dispute = _dispute(paid, "open", timedelta(days=3))
    support = staff("sam", "support")

    assert support.get(f"/admin/disputes/dispute/{dispute.id}/change/").status_code == 200
    assert support.get(f"/admin/disputes/dispute/{dispute.id}/accept/").status_code == 403
    assert support.post(f"/admin/disputes/dispute/{dispute.id}/contest/").status_code == 403


def test_finance_accepts_a_dispute_behind_a_confirmation_and_the_audit_trail_says_who_and_why(
    client, disputes, paid
):
    opened = disputes.open(paid.razorpay_payment_id)
    [(event_id, created)] = disputes.webhooks()
    deliver(client, created, event_id=event_id)
    dispute = Dispute.objects.get(razorpay_dispute_id=opened["id"])
    finance = staff("fiona", "finance")
    url = f"/admin/disputes/dispute/{dispute.id}/accept/"

    assert "Confirm: Accept the dispute" in finance.get(url).content.decode()
    unconfirmed = finance.post(url, {"reason": "no proof of delivery"})
    assert unconfirmed.status_code == 200  # the form again: the box was not ticked
    dispute.refresh_from_db()
    assert dispute.status == "open"

    done = finance.post(url, {"reason": "no proof of delivery", "confirm": "on"})

    assert done.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.amount_deducted) == ("lost", 1000)
    entry = AuditEntry.objects.get(action="dispute.accept")
    assert (entry.actor, entry.object_id, entry.reason) == (
        "fiona",
        dispute.id,
        "no proof of delivery",
    )
    assert entry.detail == "dispute lost"
    timeline = finance.get(f"/admin/payments/payment/{paid.id}/change/").content.decode()
    assert "Dispute accepted: no proof of delivery" in timeline and dispute.id in timeline


def test_the_admin_refunds_a_disputed_payment_only_with_the_explicit_override(
    client, disputes, paid
):
    disputes.open(paid.razorpay_payment_id, amount=400)
    [(event_id, created)] = disputes.webhooks()
    deliver(client, created, event_id=event_id)
    finance = staff("fiona", "finance")
    form = {"action": "refund", "_selected_action": [paid.id], "confirm": "yes"}
    page = finance.get(f"/admin/payments/payment/{paid.id}/change/").content.decode()
    assert ">disputed</span>" in page

    refused = finance.post(
        "/admin/payments/payment/",
        {**form, "amount": "2.00", "reason": "goodwill", "token": "t1"},
        follow=True,
    )
    assert "open dispute" in refused.content.decode() and not Refund.objects.exists()

    finance.post(
        "/admin/payments/payment/",
        {**form, "amount": "2.00", "reason": "goodwill", "token": "t2", "override_dispute": "on"},
    )
    assert Refund.objects.get().amount == 200
