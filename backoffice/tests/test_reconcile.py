"""Reconciliation on mismatches seeded through the simulator, as the command and the admin
page report and fix them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from backoffice.models import ReconciliationReport
from backoffice.reconcile import reconcile_store
from payments.models import Payment
from payments_service.clock import now
from payments_service.integrations.razorpay import RazorpayGateway, get_gateway
from refunds.models import Refund
from reliability.waiting import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def unconfirmed(initiate, razorpay) -> Payment:
    """Paid at Razorpay, but neither confirm nor any webhook reached us."""
    body = initiate(key="k-unconfirmed", externalRef="unconfirmed").json()
    razorpay.pay(body["razorpayOrderId"], outcome="captured")
    return Payment.objects.get(pk=body["id"])


def run(*args) -> str:
    out = StringIO()
    call_command("reconcile", *args, stdout=out)
    return out.getvalue()


def test_report_lists_each_kind_of_mismatch_and_changes_nothing(
    unconfirmed, paid, initiate, razorpay, settings
):
    settings.RECONCILE_STUCK_AFTER_SECONDS = 0
    never_paid = Payment.objects.get(pk=initiate(key="k-open", externalRef="open").json()["id"])
    dashboard = get_gateway().create_refund(
        payment_id=paid.razorpay_payment_id,
        amount=300,
        speed="normal",
        notes={},
        idempotency_key="dashboard-refund-1",
    )
    stranger = get_gateway().create_order(
        amount=5000, currency="INR", receipt="pmt_LOSTBYSOMEBODY00000000000", notes={}
    )

    out = run()
    assert f"status_differs       {unconfirmed.id}" in out
    assert f"missing_locally      {dashboard.id}" in out
    assert f"stuck                {never_paid.id}" in out
    assert f"missing_locally      {stranger.id}" in out and "[check by hand]" in out
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == "created"
    assert not Refund.objects.exists()


def test_fix_applies_razorpays_truth_through_the_services(unconfirmed, paid):
    made = get_gateway().create_refund(
        payment_id=paid.razorpay_payment_id,
        amount=300,
        speed="normal",
        notes={},
        idempotency_key="dashboard-refund-2",
    )
    # Settled at Razorpay first (the simulator's refund delay): settling between the fix and
    # the check below would be a new mismatch, not one the fix left.
    wait_until(
        lambda: get_gateway().fetch_refund(made.id).status == "processed",
        timeout=10,
        what="Razorpay to process the refund",
    )
    out = run("--fix")
    assert "2 fixed" in out
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == "captured"
    assert unconfirmed.status_changes.last().source == "reconcile"
    assert Refund.objects.get().payment == paid
    assert "0 mismatch(es)" in run()


def test_check_exits_non_zero_while_mismatches_remain(unconfirmed):
    with pytest.raises(CommandError, match="1 unresolved"):
        call_command("reconcile", "--check", stdout=StringIO())
    call_command("reconcile", "--fix", "--check", stdout=StringIO())


def test_stuck_pending_refund_is_sent_by_the_fix(paid, razorpay, settings):
    settings.RECONCILE_STUCK_AFTER_SECONDS = 0
    refund = Refund.objects.create(
        payment=paid,
        amount=200,
        currency="INR",
        razorpay_payment_id=paid.razorpay_payment_id,
        requested_by="command",
        source="command",
    )  # reserved, then the process died before Razorpay was asked
    assert f"stuck                {refund.id}" in run()
    run("--fix")
    refund.refresh_from_db()
    assert refund.razorpay_refund_id
    assert [r.id for r in get_gateway().payment_refunds(paid.razorpay_payment_id)] == [
        refund.razorpay_refund_id
    ]


def test_daily_totals_per_currency(paid):
    out = run()
    assert "₹10.00 / ₹0.00 / ₹10.00" in out


def test_window_options_are_validated():
    with pytest.raises(CommandError, match="not a date"):
        call_command("reconcile", "--since", "yesterday")
    with pytest.raises(CommandError, match="before"):
        call_command("reconcile", "--since", "2026-02-01", "--until", "2026-01-01")


def test_admin_page_shows_the_stored_report_with_its_age_and_never_calls_razorpay(
    finance, support, unconfirmed, monkeypatch
):
    reconcile_store(since=now() - timedelta(days=1), until=now(), fix=False, requested_by="chore")

    def no_gateway(*args, **kwargs):
        raise AssertionError("the reconciliation page called Razorpay")

    monkeypatch.setattr(RazorpayGateway, "_call", no_gateway)
    page = finance.get("/admin/payments/payment/reconcile/")
    assert page.status_code == 200
    text = page.content.decode()
    assert unconfirmed.id in text and "fixable" in text
    assert "0\xa0minutes ago, by chore" in text  # its age
    assert support.get("/admin/payments/payment/reconcile/").status_code == 403


def test_admin_fix_is_queued_for_the_worker_which_applies_it_and_stores_the_report(
    finance, unconfirmed, queued_tasks
):
    reconcile_store(since=now() - timedelta(days=1), until=now(), fix=False, requested_by="chore")
    done = finance.post("/admin/payments/payment/reconcile/", {"fix": "1"}, follow=True)
    assert "is queued" in done.content.decode()
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == "created"  # nothing done inside the request
    assert queued_tasks.run() == 1
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == "captured"
    latest = ReconciliationReport.objects.first()
    assert latest.fix and latest.requested_by == "fiona" and not latest.unresolved
    page = finance.get("/admin/payments/payment/reconcile/").content.decode()
    assert "with the fix" in page and "fixed" in page


def test_admin_asks_for_a_window_the_worker_reconciles(finance, unconfirmed, queued_tasks):
    window = {"since": f"{now() - timedelta(days=2):%Y-%m-%d}", "until": ""}
    finance.post("/admin/payments/payment/reconcile/", {**window, "window": "1"})
    assert queued_tasks.run() == 1
    report = ReconciliationReport.objects.get()
    assert (report.requested_by, report.fix, report.payments_checked) == ("fiona", False, 1)
    assert [m["subject"] for m in report.mismatches] == [unconfirmed.id]
