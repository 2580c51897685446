"""The admin's home page: how payments, refunds and webhooks went in the last 24 h, 7 or 30 days.

Every figure is one bounded query over an indexed time window (payments and refunds by
`created_at`, attempts by `created_at`, webhook events by `received_at`), grouped in the
database; charts are SVG drawn here (pygal), so the page needs no JavaScript and no CDN.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pygal
from django.db.models import Count, Q, Sum
from django.db.models.functions import Trunc
from django.urls import reverse

from payments.currencies import money
from payments.models import PAID, Payment, PaymentAttempt
from payments_service.clock import now
from refunds.models import Refund, RefundStatus
from webhooks.models import WebhookEvent

from .models import Chore, ReconciliationReport

WINDOWS = {
    "24h": (timedelta(hours=24), "hour"),
    "7d": (timedelta(days=7), "day"),
    "30d": (timedelta(days=30), "day"),
}
_PAID = sorted(PAID)


@dataclass
class Link:
    """A figure and the filtered admin list behind it."""

    text: str
    url: str


@dataclass
class CurrencyFigures:
    currency: str
    payments: Link
    paid: Link
    volume: Link | None  # None: not shown to this user
    success_rate: str
    refunds: Link
    refunded: Link | None


@dataclass
class Dashboard:
    window: str
    since: datetime
    currencies: list[CurrencyFigures] = field(default_factory=list)
    failures: list[Link] = field(default_factory=list)
    refunds_pending: Link | None = None
    refunds_awaiting_approval: Link | None = None  # the four-eyes queue, whatever their age
    webhooks_failed: Link | None = None
    webhook_lag_p95: str = "—"
    report: ReconciliationReport | None = None
    chores: list[Chore] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)


def _list(model_admin: str, **filters) -> str:
    return reverse(f"admin:{model_admin}_changelist") + "?" + urlencode(filters)


def dashboard_build(*, window: str, show_money: bool) -> Dashboard:
    span, bucket = WINDOWS[window]
    current = now()
    since = current - span
    board = Dashboard(window=window, since=since)
    after = {"created_at__gte": since.isoformat()}

    payments = Payment.objects.filter(created_at__gte=since)
    by_currency = payments.values("currency").annotate(
        payments=Count("pk"),
        paid=Count("pk", filter=Q(status__in=_PAID)),
        volume=Sum("amount", filter=Q(status__in=_PAID)),
    )
    # Success: of the payments someone tried to pay in the window, how many are paid.
    # (A semi-join on the window's attempts: COUNT(DISTINCT) over the join sorts them all.)
    tried = (
        Payment.objects.filter(
            pk__in=PaymentAttempt.objects.filter(created_at__gte=since).values("payment_id")
        )
        .values("currency")
        .annotate(tried=Count("pk"), paid=Count("pk", filter=Q(status__in=_PAID)))
    )
    rates = {row["currency"]: row for row in tried}
    refunds = {
        row["currency"]: row
        for row in Refund.objects.filter(created_at__gte=since)
        .values("currency")
        .annotate(count=Count("pk"), amount=Sum("amount", filter=~Q(status=RefundStatus.FAILED)))
    }
    for row in sorted(by_currency, key=lambda r: -r["payments"]):
        cur = row["currency"]
        rate = rates.get(cur)
        refund = refunds.get(cur, {"count": 0, "amount": 0})
        in_currency = {**after, "currency__exact": cur}
        paid_list = _list("payments_payment", **in_currency, status__in=",".join(_PAID))
        refunds_list = _list("refunds_refund", **in_currency)
        board.currencies.append(
            CurrencyFigures(
                currency=cur,
                payments=Link(f"{row['payments']:,}", _list("payments_payment", **in_currency)),
                paid=Link(f"{row['paid']:,}", paid_list),
                volume=Link(money(row["volume"] or 0, cur), paid_list) if show_money else None,
                success_rate=f"{rate['paid'] / rate['tried']:.1%}" if rate else "—",
                refunds=Link(f"{refund['count']:,}", refunds_list),
                refunded=Link(money(refund["amount"] or 0, cur), refunds_list)
                if show_money
                else None,
            )
        )

    failures = (
        PaymentAttempt.objects.filter(created_at__gte=since, status="failed")
        .values("error_reason")
        .annotate(count=Count("pk"))
        .order_by("-count")[:8]
    )
    failures = list(failures)
    board.failures = [
        Link(
            f"{row['error_reason'] or '(no reason)'}: {row['count']:,}",
            _list(
                "payments_payment",
                **after,
                attempts__status="failed",
                attempts__error_reason=row["error_reason"],
            ),
        )
        for row in failures
    ]
    an_hour_ago = current - timedelta(hours=1)
    pending = Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=an_hour_ago)
    board.refunds_pending = Link(
        f"{pending.count():,}",
        _list("refunds_refund", status__exact="pending", created_at__lt=an_hour_ago.isoformat()),
    )
    awaiting = Refund.objects.filter(status=RefundStatus.AWAITING_APPROVAL)
    board.refunds_awaiting_approval = Link(
        f"{awaiting.count():,}", reverse("admin:refunds_refundawaitingapproval_changelist")
    )
    events = WebhookEvent.objects.filter(received_at__gte=since)
    board.webhooks_failed = Link(
        f"{events.filter(status=WebhookEvent.Status.FAILED).count():,}",
        _list("webhooks_webhookevent", status__exact="failed", received_at__gte=since.isoformat()),
    )
    board.webhook_lag_p95 = _lag_p95(events)
    board.report = ReconciliationReport.objects.first()
    board.chores = list(Chore.objects.all())
    board.charts = _charts(payments, since, bucket, show_money)
    reasons = _chart(pygal.HorizontalBar, "Failed attempts by Razorpay's reason")
    for row in failures:
        reasons.add(row["error_reason"] or "(no reason)", [row["count"]])
    board.charts["failures"] = _svg(reasons)
    return board


def _lag_p95(events) -> str:
    """The 95th percentile of the lag Razorpay's events had when received, in the window."""
    lagged = events.exclude(lag_ms=None)
    count = lagged.count()
    if not count:
        return "—"
    rank = count * 5 // 100  # from the slowest end
    (lag,) = lagged.order_by("-lag_ms").values_list("lag_ms", flat=True)[rank : rank + 1]
    return f"{lag / 1000:.1f} s"


def _charts(payments, since: datetime, bucket: str, show_money: bool) -> dict[str, str]:
    rows = list(
        payments.annotate(at=Trunc("created_at", bucket))
        .values("at", "currency")
        .annotate(
            payments=Count("pk"),
            paid=Count("pk", filter=Q(status__in=_PAID)),
            volume=Sum("amount", filter=Q(status__in=_PAID)),
        )
        .order_by("at")
    )
    labels = sorted({row["at"] for row in rows})
    currencies = sorted({row["currency"] for row in rows})
    cell = {(row["at"], row["currency"]): row for row in rows}
    shown = "%H:%M" if bucket == "hour" else "%m-%d"
    charts = {}
    volume = _chart(pygal.Bar, "Volume captured (major units)" if show_money else "Payments paid")
    rate = _chart(pygal.Line, "Paid ÷ made (%)")
    for chart in (volume, rate):
        chart.x_labels = [f"{at:{shown}}" for at in labels]
        # a label every few buckets: 30 days or 24 hours stay readable
        chart.x_labels_major_every = max(len(labels) // 8, 1)
        chart.show_minor_x_labels = False
    for cur in currencies:
        cells = [cell.get((at, cur)) for at in labels]
        if show_money:
            volume.add(cur, [(c["volume"] or 0) / 100 if c else 0 for c in cells])
        else:
            volume.add(cur, [c["paid"] if c else 0 for c in cells])
        rate.add(cur, [round(100 * c["paid"] / c["payments"], 1) if c else None for c in cells])
    charts["volume"] = _svg(volume)
    charts["success"] = _svg(rate)
    return charts


def _svg(chart) -> str:
    """The chart as inline SVG without the script pygal adds for its tooltips: the page
    runs no script, and the SVG reads the same without it."""
    return _SCRIPT.sub("", chart.render(is_unicode=True))


_SCRIPT = re.compile(r"<script.*?</script>", re.S)


def _chart(kind, title: str):
    return kind(
        title=title,
        js=[],  # no scripts from anywhere: the SVG reads on its own
        disable_xml_declaration=True,
        width=720,
        height=260,
        truncate_label=8,
        legend_at_bottom=True,
        print_values=False,
        style=pygal.style.CleanStyle,
    )
