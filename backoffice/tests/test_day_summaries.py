"""The dashboard's day summaries (the summarise_days chore): a window's figures read from them
are the figures counted live from the rows, before the chore ever ran, after it, with a day's
summary missing, and after payments and refunds of past days changed."""

from datetime import timedelta
from itertools import count

import pytest
from django.db import transaction
from django.db.models import Count, Q, Sum

from backoffice import dashboard
from backoffice.chores import chore_execute, chores_ensure
from backoffice.models import DaySummary
from payments.currencies import money
from payments.models import PAID, Payment, PaymentAttempt, PaymentStatus, Source
from payments.services import payment_lock, payment_transition
from payments_service.clock import now
from refunds.models import Refund, RefundStatus
from refunds.services import refund_fail
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

_ids = count()


@pytest.fixture
def clock(monkeypatch):
    """The dashboard's "now", frozen at the test's start until a test moves it."""
    moment = [now()]
    monkeypatch.setattr(dashboard, "now", lambda: moment[0])
    return moment


def _payment(client_app, at, *, currency="INR", amount=1000, status="created", attempts=()):
    """A payment made `at`, last written then, with its attempts: (when, status, reason)."""
    n = next(_ids)
    payment = Payment.objects.create(
        client_app=client_app, external_ref=f"p{n}", amount=amount, currency=currency
    )
    Payment.objects.filter(pk=payment.pk).update(status=status, created_at=at, updated_at=at)
    for k, (when, outcome, reason) in enumerate(attempts):
        _attempt(payment, when, outcome, reason, f"pay_{n}_{k}")
    return payment


def _attempt(payment, at, status, reason="", razorpay_id=""):
    attempt = PaymentAttempt.objects.create(
        payment=payment,
        razorpay_payment_id=razorpay_id or f"pay_{next(_ids)}",
        status=status,
        amount=payment.amount,
        error_reason=reason,
    )
    PaymentAttempt.objects.filter(pk=attempt.pk).update(created_at=at, updated_at=at)


def _refund(payment, at, amount, status=RefundStatus.PROCESSED):
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        currency=payment.currency,
        status=status,
        razorpay_payment_id=f"pay_r{next(_ids)}",
        source=Source.API,
    )
    Refund.objects.filter(pk=refund.pk).update(created_at=at, updated_at=at)
    return refund


@pytest.fixture
def month(client_app, clock):
    """Six weeks of payments in two currencies: paid, failed with reasons, never paid, tried
    again days later, refunded (one refund pending, one failed), and webhook events with their
    lags (a few failed, a few without a lag); returns the ones to change."""
    t0 = clock[0]
    ago = [0.02, 0.4, 0.9, 1.3, 2.5, 3.2, 4.4, 5.1, 6.5, 6.99, 7.01, 9, 13, 18, 22, 27, 29.5, 29.99]
    ago += [30.01, 33, 45]
    reasons = ["insufficient_funds", "card_declined", "authentication_failed", ""]
    for n, days in enumerate(ago):
        at = t0 - timedelta(days=days)
        currency = "USD" if n % 4 == 3 else "INR"
        amount = 1000 + 137 * n
        _payment(
            client_app,
            at,
            currency=currency,
            amount=amount,
            status="captured",
            attempts=[(at, "failed", reasons[n % 4]), (at + timedelta(minutes=3), "captured", "")],
        )
        failed = _payment(
            client_app,
            at - timedelta(hours=2),
            currency=currency,
            amount=amount + 1,
            status="failed",
            attempts=[(at - timedelta(hours=2), "failed", reasons[(n + 1) % 4])],
        )
        for k in range(6):
            event = WebhookEvent.objects.create(
                event_id=f"evt_{n}_{k}",
                event_type="payment.captured",
                body="{}",
                status="failed" if (n + k) % 7 == 0 else "processed",
                lag_ms=None if k == 5 else (n * 7919 + k * 104729) % 40_000,
            )
            received = at - timedelta(minutes=10 * k)
            WebhookEvent.objects.filter(pk=event.pk).update(received_at=received)
        if n % 3 == 0:
            _payment(client_app, at - timedelta(hours=5), currency=currency, amount=amount + 2)
        if n % 5 == 1:  # tried again days later (and paid): its latest attempt is that day
            later = min(at + timedelta(days=2, hours=1), t0 - timedelta(hours=1))
            _attempt(failed, later, "captured")
            Payment.objects.filter(pk=failed.pk).update(status="captured")
    captured = list(Payment.objects.filter(status="captured").order_by("created_at"))
    for n, payment in enumerate(captured[::3]):
        _refund(payment, payment.created_at + timedelta(hours=3 + 20 * (n % 3)), 100 + n)
    # To change later, each on a day of its own (a day apart).
    days_ago = {n: t0 - timedelta(days=n, hours=1) for n in (3, 4, 5, 6)}
    paid = _payment(
        client_app,
        days_ago[6],
        amount=5000,
        status="captured",
        attempts=[(days_ago[6], "captured", "")],
    )
    return {
        "unpaid": _payment(client_app, days_ago[3], amount=7000),
        "declined": _payment(
            client_app,
            days_ago[4],
            amount=3000,
            status="failed",
            attempts=[(days_ago[4], "failed", "card_declined")],
        ),
        "pending_refund": _refund(paid, days_ago[5], 900, status=RefundStatus.PENDING),
    }


def live(since):
    """The window's figures as the dashboard counted them before it kept summaries: one
    query per figure over every row from `since` on."""
    figures = {}
    paid = Q(status__in=sorted(PAID))
    rows = Payment.objects.filter(created_at__gte=since).values("currency")
    for row in rows.annotate(
        payments=Count("pk"), paid=Count("pk", filter=paid), volume=Sum("amount", filter=paid)
    ):
        figures[row["currency"]] = {**row, "tried": 0, "tried_paid": 0, "refunds": 0, "refunded": 0}
    tried = (
        Payment.objects.filter(
            pk__in=PaymentAttempt.objects.filter(created_at__gte=since).values("payment_id")
        )
        .values("currency")
        .annotate(tried=Count("pk"), tried_paid=Count("pk", filter=paid))
    )
    for row in tried:
        figures.get(row["currency"], {}).update(row)
    refunds = (
        Refund.objects.filter(created_at__gte=since)
        .values("currency")
        .annotate(
            refunds=Count("pk"), refunded=Sum("amount", filter=~Q(status=RefundStatus.FAILED))
        )
    )
    for row in refunds:
        figures.get(row["currency"], {}).update(row)
    shown = [
        (
            cur,
            f"{f['payments']:,}",
            f"{f['paid']:,}",
            money(f["volume"] or 0, cur),
            f"{f['tried_paid'] / f['tried']:.1%}" if f["tried"] else "—",
            f"{f['refunds']:,}",
            money(f["refunded"] or 0, cur),
        )
        for cur, f in sorted(figures.items(), key=lambda item: (-item[1]["payments"], item[0]))
    ]
    failures = (
        PaymentAttempt.objects.filter(created_at__gte=since, status="failed")
        .values("error_reason")
        .annotate(n=Count("pk"))
    )
    failed = sorted(
        ((row["error_reason"], row["n"]) for row in failures), key=lambda item: (-item[1], item[0])
    )
    events = WebhookEvent.objects.filter(received_at__gte=since)
    lagged = events.exclude(lag_ms=None).order_by("-lag_ms").values_list("lag_ms", flat=True)
    rank = lagged.count() * 5 // 100
    lag = f"{lagged[rank] / 1000:.1f} s" if lagged.count() else "—"
    webhooks = (f"{events.filter(status='failed').count():,}", lag)
    return shown, [f"{reason or '(no reason)'}: {n:,}" for reason, n in failed[:8]], webhooks


def shown(window):
    board = dashboard.dashboard_build(window=window, show_money=True)
    figures = [
        (
            f.currency,
            f.payments.text,
            f.paid.text,
            f.volume.text,
            f.success_rate,
            f.refunds.text,
            f.refunded.text,
        )
        for f in board.currencies
    ]
    webhooks = (board.webhooks_failed.text, board.webhook_lag_p95)
    return figures, [link.text for link in board.failures], webhooks


def assert_same_as_live(clock):
    for window, (span, _) in dashboard.WINDOWS.items():
        assert shown(window) == live(clock[0] - span), window
        # and day by day, as the charts draw them
        since = clock[0] - span
        days = dashboard._window_days(since).items()
        kept = {d: f for d, f in days if f.currencies or f.failures or f.lags}
        assert kept == dashboard._tally([(since, None)]), window


def summarise():
    chores_ensure()
    assert "day(s) counted" in chore_execute(name="summarise_days")


def whole_days_summarised(clock) -> int:
    """How many of the 30-day window's whole days the dashboard reads from their summary."""
    first = dashboard._midnight(clock[0] - timedelta(days=30)) + dashboard.DAY
    return len(dashboard._summaries_unchanged(first, dashboard._midnight(clock[0])))


def test_the_figures_from_summaries_are_those_counted_live(clock, month):
    assert_same_as_live(clock)  # nothing summarised yet: all live
    summarise()
    assert DaySummary.objects.count() == dashboard.SUMMARY_DAYS
    assert whole_days_summarised(clock) in (29, 30)  # 30 when the window starts at midnight
    assert_same_as_live(clock)
    # The first run counted the thirty days; the next one finds nothing changed.
    assert chore_execute(name="summarise_days").startswith("0 day(s) counted, 30 unchanged")


def test_a_day_without_its_summary_is_counted_live(clock, month):
    summarise()
    DaySummary.objects.filter(day=(clock[0] - timedelta(days=4)).date()).delete()
    assert_same_as_live(clock)
    assert chore_execute(name="summarise_days").startswith("1 day(s) counted")


def test_a_past_day_that_changed_since_its_summary_is_counted_again(clock, month):
    summarise()
    for row in month.values():
        row.refresh_from_db()
    day = {what: DaySummary.objects.get(day=row.created_at.date()) for what, row in month.items()}
    # Days later: the unpaid payment is paid, the pending refund fails at Razorpay, and the
    # declined payment is tried again and paid (its latest attempt moves to today).
    for payment in (month["unpaid"], month["declined"]):
        _attempt(payment, now(), "captured")
        with transaction.atomic():
            locked = payment_lock(payment.pk)
            payment_transition(payment=locked, to=PaymentStatus.CAPTURED, source=Source.API)
    refund_fail(refund=month["pending_refund"], reason="bank refused", source=Source.WEBHOOK)

    assert whole_days_summarised(clock) < 29  # those days are counted live until summarised
    assert_same_as_live(clock)

    clock[0] += dashboard.COMMIT_SLACK * 2  # the next run, well after the changes
    assert chore_execute(name="summarise_days").startswith("3 day(s) counted")
    now_kept = {what: DaySummary.objects.get(pk=row.pk) for what, row in day.items()}
    for what, delta in {"unpaid": 1, "declined": 1}.items():  # both paid now
        paid = now_kept[what].currencies["INR"]["paid"]
        assert paid == day[what].currencies["INR"]["paid"] + delta, what
    refunded = now_kept["pending_refund"].currencies["INR"]["refunded"]
    assert refunded == day["pending_refund"].currencies["INR"]["refunded"] - 900
    assert whole_days_summarised(clock) in (29, 30)  # all read from summaries again
    assert_same_as_live(clock)
