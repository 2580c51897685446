"""The approval queue: finance approves or rejects another's refund awaiting approval, with a
reason; the one who asked cannot; support only looks. Decisions show in the payment's
timeline and the audit trail; the dashboard counts the queue."""

import re

import pytest

from audit.models import Action, AuditEntry
from payments_service.integrations.razorpay import get_gateway
from refunds.models import Refund

from .conftest import staff

pytestmark = pytest.mark.django_db

PAYMENTS = "/admin/payments/payment/"
QUEUE = "/admin/refunds/refundawaitingapproval/"


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.REFUND_APPROVAL_THRESHOLD = {"INR": 500}


def ask_refund(client, payment, amount: str, reason: str = "broken on arrival") -> str:
    chosen = {"action": "refund", "_selected_action": [payment.id]}
    page = client.post(PAYMENTS, chosen).content.decode()
    token = re.search(r'name="token" value="(\w+)"', page)[1]
    form = {**chosen, "confirm": "yes", "token": token, "amount": amount, "reason": reason}
    return client.post(PAYMENTS, form, follow=True).content.decode()


def decide(client, refund: Refund, action: str, reason: str = "checked the order") -> str:
    chosen = {"action": action, "_selected_action": [refund.pk]}
    confirm = client.post(QUEUE, chosen).content.decode()
    assert refund.id in confirm and 'name="reason"' in confirm
    form = {**chosen, "confirm": "yes", "reason": reason}
    return client.post(QUEUE, form, follow=True).content.decode()


def test_a_refund_above_the_threshold_waits_in_the_queue_for_a_second_person(finance, paid):
    page = ask_refund(finance, paid, "8.00")
    refund = Refund.objects.get()
    assert refund.status == "awaiting_approval" and "awaiting_approval" in page
    assert get_gateway().payment_refunds(paid.razorpay_payment_id) == []
    queue = finance.get(QUEUE).content.decode()
    assert refund.id in queue and "₹8.00" in queue and "user:fiona" in queue

    refused = decide(finance, refund, "approve")
    assert "another finance user must approve it" in refused
    assert Refund.objects.get().status == "awaiting_approval"

    omar = staff("omar", "finance")
    done = decide(omar, refund, "approve")
    assert f"Refund {refund.id}: approved → pending" in done
    approved = Refund.objects.get()
    assert approved.status == "pending" and approved.razorpay_refund_id
    assert refund.id not in omar.get(QUEUE).content.decode()
    entry = AuditEntry.objects.get(action=Action.REFUND_APPROVE)
    assert (entry.actor, entry.reason, entry.object_id) == ("omar", "checked the order", paid.id)

    timeline = omar.get(f"{PAYMENTS}{paid.id}/change/").content.decode()
    assert "Refund approved: checked the order" in timeline and "omar" in timeline

    # A second decision (a stale page) finds nothing left to decide.
    late = {"action": "reject", "_selected_action": [refund.pk], "confirm": "yes", "reason": "x"}
    staff("rita", "finance").post(QUEUE, late, follow=True)
    assert Refund.objects.get().status != "failed"


def test_rejection_frees_the_amount_and_shows_in_the_timeline(finance, paid):
    ask_refund(finance, paid, "8.00")
    refund = Refund.objects.get()
    omar = staff("omar", "finance")
    assert f"Refund {refund.id}: rejected → failed" in decide(
        omar, refund, "reject", "duplicate ask"
    )
    assert Refund.objects.get().failure_reason == "Rejected on review: duplicate ask"
    timeline = omar.get(f"{PAYMENTS}{paid.id}/change/").content.decode()
    assert "Refund rejected: duplicate ask" in timeline
    assert "Rejected on review: duplicate ask" in timeline
    ask_refund(omar, paid, "4.00")  # the amount is free again (below the threshold: sent)
    assert Refund.objects.filter(status="pending").count() == 1


def test_support_sees_the_queue_but_cannot_decide(finance, support, paid):
    ask_refund(finance, paid, "8.00")
    refund = Refund.objects.get()
    page = support.get(QUEUE).content.decode()
    assert refund.id in page and 'value="approve"' not in page
    chosen = {"action": "approve", "_selected_action": [refund.pk], "confirm": "yes", "reason": "x"}
    support.post(QUEUE, chosen)
    assert Refund.objects.get().status == "awaiting_approval"
    assert 'value="approve"' in finance.get(QUEUE).content.decode()


def test_the_dashboard_counts_the_queue_and_links_to_it(finance, paid):
    ask_refund(finance, paid, "8.00")
    page = finance.get("/admin/").content.decode()
    link = re.search(r'<a id="refunds-awaiting-approval" href="([^"]+)">(\d+)</a>', page)
    assert link and link[1] == QUEUE and link[2] == "1"
