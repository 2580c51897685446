"""refund_payment and sync_refunds, end to end against the simulator."""

import getpass
import io
import time

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from payments.models import Payment
from payments_service.integrations.razorpay import get_gateway
from refunds.models import Refund

from .conftest import fail_at_gateway

pytestmark = pytest.mark.django_db


def refund_payment(*args: str, answer: str | None = None) -> str:
    out = io.StringIO()
    stdin = io.StringIO(answer) if answer is not None else None
    options = {"stdin": stdin} if stdin else {}
    call_command("refund_payment", *args, stdout=out, **options)
    return out.getvalue()


def sync_refunds(*args: str) -> str:
    out = io.StringIO()
    call_command("sync_refunds", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_refund_payment_shows_the_plan_and_aborts_on_no(payment):
    out = io.StringIO()
    with pytest.raises(CommandError, match="Aborted: nothing was refunded"):
        call_command(
            "refund_payment", payment["id"], "--amount", "400", stdin=io.StringIO("n\n"), stdout=out
        )
    shown = out.getvalue()
    assert "amount      ₹10.00 (1000 paise)" in shown
    assert "refundable  ₹10.00 (1000 paise)" in shown
    assert "Refund ₹4.00 (400 paise) at normal speed" in shown
    assert "Proceed? [y/N]" in shown
    assert not Refund.objects.exists()
    assert get_gateway().payment_refunds(payment["razorpayPaymentId"]) == []


def test_refund_payment_aborts_on_an_empty_answer(payment):
    with pytest.raises(CommandError, match="Aborted"):
        refund_payment(payment["id"], answer="")
    assert not Refund.objects.exists()


def test_refund_payment_refunds_on_yes(payment):
    shown = refund_payment(payment["id"], "--reason", "returned", answer="y\n")
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.status) == (1000, "returned", "pending")
    assert (refund.requested_by, refund.source) == (f"command:{getpass.getuser()}", "command")
    assert f"Refund {refund.id}: pending, ₹10.00 (1000 paise)" in shown
    assert refund.razorpay_refund_id in shown
    entry = AuditEntry.objects.get()  # once, under the OS user running the command
    assert (entry.actor, entry.via, entry.action) == (
        getpass.getuser(),
        "command",
        "payment.refund",
    )
    assert (entry.object_id, entry.reason) == (payment["id"], "returned")
    assert refund.id in entry.detail


def test_refund_payment_rerun_with_its_key_names_the_refund_and_another_body_is_refused(payment):
    keyed = (payment["id"], "--yes", "--idempotency-key", "staff-k1", "--reason", "returned")
    refund_payment(*keyed, "--amount", "500")
    refund = Refund.objects.get()

    shown = refund_payment(*keyed, "--amount", "500")  # a re-run after a crash, say
    assert f"Already asked with this key: refund {refund.id} is {refund.status}." in shown
    for changed in (("--amount", "300"), ("--speed", "optimum")):
        with pytest.raises(CommandError, match="idempotency_key_reused"):
            refund_payment(*keyed, "--amount", "500", *changed)
    with pytest.raises(CommandError, match="idempotency_key_reused"):
        refund_payment(payment["id"], "--yes", "--idempotency-key", "staff-k1", "--amount", "500")
    assert Refund.objects.get() == refund  # one refund, of 500, whatever was re-run


def test_refund_payment_records_who_asked_for_it_when_told(payment):
    refund_payment(payment["id"], "--yes", "--requested-by", "asha (ticket 88)")
    assert Refund.objects.get().requested_by == "command:asha (ticket 88)"
    assert AuditEntry.objects.get().actor == "asha (ticket 88)"


def test_refund_payment_refused_or_aborted_records_nothing_in_the_audit_trail(payment):
    with pytest.raises(CommandError):
        refund_payment(payment["id"], answer="n\n")
    with pytest.raises(CommandError):
        refund_payment(payment["id"], "--amount", "999999", "--yes")
    assert not AuditEntry.objects.exists()


def test_refund_payment_by_razorpay_id_with_yes_asks_nothing(payment):
    shown = refund_payment(payment["razorpayPaymentId"], "--amount", "250", "--yes")
    assert "Proceed?" not in shown
    assert Refund.objects.get().amount == 250


def test_refund_payment_by_external_ref_of_an_app(payment):
    refund_payment("order_1", "--app", "shop", "--amount", "300", "--speed", "optimum", "--yes")
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.speed_requested) == (payment["id"], "optimum")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pmt_nope"], "No payment with id, Razorpay id or reference 'pmt_nope'"),
        (["order_1"], "No payment with id"),  # an externalRef needs --app
        (["order_1", "--app", "other"], "No payment of app 'other'"),
    ],
)
def test_refund_payment_of_an_unknown_payment_is_a_clear_error(payment, args, message):
    with pytest.raises(CommandError, match=message):
        refund_payment(*args, "--yes")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "invalid int value"),
        ("4.5", "invalid int value"),
        ("0", "positive number of paise"),
        ("-100", "positive number of paise"),
        ("1001", "has 1000 left to refund"),
        ("99", "At least 100"),
    ],
)
def test_refund_payment_with_a_bad_amount_is_a_clear_error(payment, amount, message):
    with pytest.raises(CommandError, match=message):
        refund_payment(payment["id"], f"--amount={amount}", "--yes")
    assert not Refund.objects.exists()


def test_refund_payment_of_an_unpaid_payment_is_a_clear_error(pay):
    unpaid = pay(outcome=None)
    with pytest.raises(CommandError, match="is created; only captured"):
        refund_payment(unpaid["id"], "--yes")


def test_refund_payment_after_everything_is_reserved_is_a_clear_error(payment):
    refund_payment(payment["id"], "--yes")
    with pytest.raises(CommandError, match="has 0 left to refund"):
        refund_payment(payment["id"], "--yes")


def processing_refund_id(payment) -> str:
    return Refund.objects.get(payment_id=payment["id"]).id


def test_sync_refunds_settles_processed_and_failed_refunds(pay, razorpay):
    first, second = pay(ref="order_a"), pay(ref="order_b")
    refund_payment(first["id"], "--amount", "400", "--yes")
    refund_payment(second["id"], "--yes")
    failing = Refund.objects.get(payment_id=second["id"])
    fail_at_gateway(razorpay, failing.razorpay_refund_id)

    processing = Refund.objects.get(payment_id=first["id"]).razorpay_refund_id
    deadline = time.monotonic() + 5  # the simulator's refund delay
    while get_gateway().fetch_refund(processing).status == "pending":
        assert time.monotonic() < deadline
        time.sleep(0.05)

    shown = sync_refunds("--requested-by", "ops-cron")
    assert shown.splitlines()[-1] == "checked 2, processed 1, failed 1, still pending 0, errors 0"
    synced = AuditEntry.objects.filter(action="refund.sync")
    assert sorted(synced.values_list("actor", "object_id", "detail")) == sorted(
        [
            ("ops-cron", first["id"], f"refund {processing_refund_id(first)} processed"),
            ("ops-cron", second["id"], f"refund {failing.id} failed"),
        ]
    )
    assert f"{failing.id}: failed" in shown
    assert Payment.objects.get(pk=first["id"]).status == "partially_refunded"
    assert Payment.objects.get(pk=second["id"]).status == "captured"
    assert Refund.objects.get(pk=failing.pk).status == "failed"
    assert sync_refunds().splitlines()[-1] == (
        "checked 0, processed 0, failed 0, still pending 0, errors 0"
    )


def test_sync_refunds_since_skips_older_refunds(payment):
    refund_payment(payment["id"], "--yes")
    assert "checked 0," in sync_refunds("--since", "2999-01-01")
    assert "checked 1," in sync_refunds("--since", "2000-01-01T00:00:00Z")


def test_sync_refunds_reports_gateway_errors_and_fails(payment, razorpay):
    refund_payment(payment["id"], "--yes")
    razorpay.faults(error_rate=1)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 refund\\(s\\) could not be synced"):
        call_command("sync_refunds", stdout=io.StringIO(), stderr=err)
    assert "gateway_unavailable" in err.getvalue()
    assert Refund.objects.get().status == "pending"


def test_sync_refunds_rejects_a_bad_date(db):
    with pytest.raises(CommandError, match="is not a date"):
        sync_refunds("--since", "yesterday")
