"""Four-eyes refunds: above the approval threshold a refund holds its amount but waits for a
second person, who approves it (then it is sent and settles as any refund) or rejects it;
unapproved, it expires. The threshold is per currency, for staff by setting, for an app's API
by the app's own limit."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import Action, AuditEntry
from backoffice.chores import chore_execute, chores_ensure
from backoffice.tests.conftest import staff_user
from payments.models import Payment, Source
from payments_service.clock import now
from payments_service.integrations.razorpay import get_gateway
from refunds import services
from refunds.errors import (
    RefundApprovalBySameUser,
    RefundExceedsRefundable,
    RefundNotAwaitingApproval,
)
from refunds.models import Refund

from .conftest import settle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def threshold(settings):
    """Staff refunds above ₹5.00 need a second person."""
    settings.REFUND_APPROVAL_THRESHOLD = {"INR": 500, "USD": 100_000}
    settings.REFUND_APPROVAL_TTL_SECONDS = 72 * 3600
    return settings


def staff_refund(payment: dict, amount: int | None, by: str = "fiona", key: str = "t1") -> Refund:
    return services.refund_create_keyed(
        key=key,
        payment=Payment.objects.get(pk=payment["id"]),
        amount=amount,
        reason="damaged in transit",
        requested_by=f"user:{by}",
        source=Source.ADMIN,
    )


def at_gateway(payment: dict) -> list:
    return get_gateway().payment_refunds(payment["razorpayPaymentId"])


def events(api, *types: str) -> list[tuple[str, str]]:
    feed = api.get("/events", {"type": ",".join(types), "pageSize": 100}).json()["results"]
    return [(e["type"], e["data"]["status"]) for e in feed]


def test_staff_refund_above_the_threshold_waits_unsent_and_holds_its_amount(payment, api):
    refund = staff_refund(payment, 800)

    assert refund.status == "awaiting_approval" and refund.razorpay_refund_id is None
    assert abs(refund.approval_expires_at - (now() + timedelta(hours=72))) < timedelta(minutes=1)
    assert at_gateway(payment) == []  # Razorpay never heard of it
    with pytest.raises(RefundExceedsRefundable, match="has 200 left"):
        services.refund_amount_check(payment=Payment.objects.get(pk=payment["id"]), amount=300)
    assert events(api, "refund.created") == [("refund.created", "awaiting_approval")]
    # settle_refunds and sync_refunds leave it alone
    assert services.refund_sync(refund=refund, source=Source.COMMAND).status == "awaiting_approval"
    assert at_gateway(payment) == []


@pytest.mark.parametrize(
    ("limits", "amount", "status"),
    [
        ({"INR": 500}, 500, "pending"),  # at the threshold: not above it
        ({"INR": 500}, None, "awaiting_approval"),  # all that is left (1000) is above it
        ({"USD": 100}, 800, "pending"),  # another currency's threshold
        ({}, 1000, "pending"),  # unset: off
    ],
)
def test_the_threshold_is_per_currency_and_strictly_above(
    payment, settings, limits, amount, status
):
    settings.REFUND_APPROVAL_THRESHOLD = limits
    assert staff_refund(payment, amount).status == status


def test_the_requester_can_neither_approve_nor_reject_it(payment):
    refund = staff_refund(payment, 800, by="fiona")
    for decide in (services.refund_approve, services.refund_reject):
        with pytest.raises(RefundApprovalBySameUser, match="another finance user"):
            decide(refund_id=refund.id, approver="fiona", reason="mine")
    assert Refund.objects.get().status == "awaiting_approval"
    assert not AuditEntry.objects.exists()


def test_approval_by_another_user_sends_it_and_it_settles_once(payment):
    refund = staff_refund(payment, 800, by="fiona")

    approved = services.refund_approve(refund_id=refund.id, approver="omar", reason="checked")
    assert approved.status == "pending" and approved.razorpay_refund_id
    assert (approved.reviewed_by, approved.review_reason) == ("omar", "checked")
    assert settle(refund.id).status == "processed"
    paid = Payment.objects.get(pk=payment["id"])
    assert (paid.status, paid.amount_refunded) == ("partially_refunded", 800)
    assert [r.amount for r in at_gateway(payment)] == [800]
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id, entry.reason) == (
        "omar",
        Action.REFUND_APPROVE,
        payment["id"],
        "checked",
    )
    assert refund.id in entry.detail and "user:fiona" in entry.detail

    with pytest.raises(RefundNotAwaitingApproval, match="processed by omar"):
        services.refund_approve(refund_id=refund.id, approver="rita", reason="again")
    assert len(at_gateway(payment)) == 1


def test_rejection_frees_the_amount_and_tells_the_app(payment, api):
    refund = staff_refund(payment, 800)

    rejected = services.refund_reject(refund_id=refund.id, approver="omar", reason="fraud check")
    assert rejected.status == "failed"
    assert rejected.failure_reason == "Rejected on review: fraud check"
    whole = Payment.objects.get(pk=payment["id"])
    assert services.refund_amount_check(payment=whole, amount=None) == 1000
    assert at_gateway(payment) == []
    assert events(api, "refund.created", "refund.failed") == [
        ("refund.created", "awaiting_approval"),
        ("refund.failed", "failed"),
    ]
    assert AuditEntry.objects.get().action == Action.REFUND_REJECT
    with pytest.raises(RefundNotAwaitingApproval):
        services.refund_approve(refund_id=refund.id, approver="rita", reason="too late")


def test_unapproved_refunds_expire_through_the_chore_and_free_their_amount(
    payment, api, monkeypatch
):
    refund = staff_refund(payment, 800)
    chores_ensure()
    assert chore_execute(name="expire_refund_approvals") == "0 refund(s) expired unapproved"

    later = now() + timedelta(hours=72, seconds=1)
    monkeypatch.setattr(services, "now", lambda: later)
    with pytest.raises(RefundNotAwaitingApproval, match="not approved in time"):
        services.refund_approve(refund_id=refund.id, approver="omar", reason="late")
    assert chore_execute(name="expire_refund_approvals") == "1 refund(s) expired unapproved"

    expired = Refund.objects.get()
    assert expired.status == "failed"
    assert expired.failure_reason == "Not approved within 72 h: expired unapproved."
    assert events(api, "refund.failed") == [("refund.failed", "failed")]
    assert services.refund_amount_check(payment=Payment.objects.get(pk=payment["id"]), amount=None)
    assert chore_execute(name="expire_refund_approvals") == "0 refund(s) expired unapproved"


def test_an_approval_whose_send_never_happened_is_sent_once_by_the_settle_chore(
    payment, monkeypatch, settings
):
    """The process dies after the approval committed, before Razorpay was asked: the refund
    is pending without a Razorpay id, which the settle chore finds and sends, once."""
    refund = staff_refund(payment, 800)

    class Died(BaseException):
        pass

    def die(name):
        if name == "refund.approved":
            raise Died

    monkeypatch.setattr(services, "crash_point", die)
    with pytest.raises(Died):
        services.refund_approve(refund_id=refund.id, approver="omar", reason="ok")
    monkeypatch.undo()
    left = Refund.objects.get()
    assert (left.status, left.razorpay_refund_id) == ("pending", None)
    assert at_gateway(payment) == []

    settings.CHORE_SETTLE_REFUNDS_AFTER_SECONDS = 0
    chores_ensure()
    chore_execute(name="settle_refunds")
    chore_execute(name="settle_refunds")
    assert [r.amount for r in at_gateway(payment)] == [800]
    assert settle(refund.id).status == "processed"


def test_a_retry_of_the_api_key_never_sends_a_refund_awaiting_approval(payment, refund, client_app):
    client_app.refund_approval_threshold = "INR:500"
    client_app.save()
    first = refund(payment["id"], key="k-big", amount=800)
    assert first.status_code == 201 and first.json()["status"] == "awaiting_approval"
    # the stored answer is replayed; a takeover after a crash resumes without sending
    claimless = Refund.objects.get()
    from clients.models import IdempotencyKey

    claim = IdempotencyKey.objects.get(key="k-big")
    resumed = services.refund_create(
        payment_id=payment["id"],
        amount=800,
        requested_by="app:shop",
        source=Source.API,
        claim=claim,
    )
    assert resumed.pk == claimless.pk and resumed.status == "awaiting_approval"
    assert at_gateway(payment) == []


def test_api_refund_above_the_apps_own_limit_is_201_awaiting_approval(
    payment, refund, api, client_app, settings
):
    settings.REFUND_APPROVAL_THRESHOLD = {}  # staff's threshold does not apply to the API
    small = refund(payment["id"], key="k-small", amount=300).json()
    assert small["status"] == "pending"
    settle(small["id"])
    client_app.refund_approval_threshold = "INR:500"
    client_app.save()

    response = refund(payment["id"], key="k-big", amount=600)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "awaiting_approval" and body["razorpayRefundId"] is None
    assert api.get(f"/refunds/{body['id']}").json()["status"] == "awaiting_approval"
    assert refund(payment["id"], key="k-more", amount=200).json()["code"] == (
        "refund_exceeds_refundable"
    )  # 300 + 600 held of 1000

    approved = services.refund_approve(refund_id=body["id"], approver="omar", reason="ok")
    assert approved.status == "pending"
    settle(body["id"])
    feed = [e for e in events(api, "refund.created", "refund.processed", "refund.failed")]
    assert ("refund.created", "awaiting_approval") in feed
    assert feed.count(("refund.processed", "processed")) == 2
    final = api.get(f"/refunds/{body['id']}").json()
    assert final["status"] == "processed" and final["version"] > body["version"]


def test_the_client_apps_limit_is_validated(client_app):
    from django.core.exceptions import ValidationError

    client_app.refund_approval_threshold = "INR:ten"
    with pytest.raises(ValidationError, match="CURRENCY:AMOUNT"):
        client_app.full_clean()
    client_app.refund_approval_threshold = "inr:1000000, USD:100000"
    client_app.full_clean()
    assert client_app.refund_approval_limits == {"INR": 1_000_000, "USD": 100_000}


def run_refund_payment(*args: str) -> str:
    import io

    out = io.StringIO()
    call_command("refund_payment", *args, stdout=out)
    return out.getvalue()


def test_refund_payment_above_the_threshold_needs_requested_by_a_staff_user(payment):
    with pytest.raises(CommandError, match="--requested-by USER"):
        run_refund_payment(payment["id"], "--yes", "--amount", "800")
    with pytest.raises(CommandError, match="must name an active staff user"):
        run_refund_payment(payment["id"], "--yes", "--amount", "800", "--requested-by", "nobody")
    assert not Refund.objects.exists()

    staff_user("asha", "finance")
    shown = run_refund_payment(payment["id"], "--yes", "--amount", "800", "--requested-by", "asha")
    refund = Refund.objects.get()
    assert "awaiting approval" in shown and refund.status == "awaiting_approval"
    assert refund.requested_by == "command:asha"
    with pytest.raises(RefundApprovalBySameUser):
        services.refund_approve(refund_id=refund.id, approver="asha", reason="me")
    assert run_refund_payment(payment["id"], "--yes", "--amount", "200")  # below: no name needed
