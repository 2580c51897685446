"""The admin's home page: how payments, refunds and webhooks went in the last 24 h, 7 or 30 days.

Payments, attempts, refunds and webhook lags are counted per UTC day: whole past days from the
summaries the `summarise_days` chore keeps (`DaySummary`), the rest of the window live, each a
bounded query over an indexed time window (payments, attempts and refunds by `created_at`,
webhook events by `received_at`) grouped in the database. Charts are SVG drawn here (pygal),
so the page needs no JavaScript and no CDN.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

import pygal
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, Trunc, TruncDate
from django.urls import reverse

from payments.currencies import money
from payments.models import PAID, Payment, PaymentAttempt
from payments_service.clock import now
from refunds.models import Refund, RefundStatus
from webhooks.models import WebhookEvent

from .models import Chore, DaySummary, ReconciliationReport

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

    days = _window_days(since)
    totals: dict[str, Counter] = defaultdict(Counter)
    failed = Counter()
    for figures in days.values():
        for cur, counts in figures.currencies.items():
            totals[cur].update(counts)
        failed.update(figures.failures)
    shown = [cur for cur in totals if totals[cur]["payments"]]
    for cur in sorted(shown, key=lambda cur: (-totals[cur]["payments"], cur)):
        row = totals[cur]
        in_currency = {**after, "currency__exact": cur}
        paid_list = _list("payments_payment", **in_currency, status__in=",".join(_PAID))
        refunds_list = _list("refunds_refund", **in_currency)
        # Success: of the payments someone tried to pay in the window, how many are paid.
        tried = row["tried"]
        board.currencies.append(
            CurrencyFigures(
                currency=cur,
                payments=Link(f"{row['payments']:,}", _list("payments_payment", **in_currency)),
                paid=Link(f"{row['paid']:,}", paid_list),
                volume=Link(money(row["volume"], cur), paid_list) if show_money else None,
                success_rate=f"{row['tried_paid'] / tried:.1%}" if tried else "—",
                refunds=Link(f"{row['refunds']:,}", refunds_list),
                refunded=Link(money(row["refunded"], cur), refunds_list) if show_money else None,
            )
        )

    failures = sorted(failed.items(), key=lambda item: (-item[1], item[0]))[:8]
    board.failures = [
        Link(
            f"{reason or '(no reason)'}: {count:,}",
            _list(
                "payments_payment",
                **after,
                attempts__status="failed",
                attempts__error_reason=reason,
            ),
        )
        for reason, count in failures
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
    board.webhook_lag_p95 = _lag_p95(sum((figures.lags for figures in days.values()), Counter()))
    board.report = ReconciliationReport.objects.first()
    board.chores = list(Chore.objects.all())
    board.charts = _charts(_chart_cells(days, since, bucket), bucket, show_money)
    reasons = _chart(pygal.HorizontalBar, "Failed attempts by Razorpay's reason")
    for reason, count in failures:
        reasons.add(reason or "(no reason)", [count])
    board.charts["failures"] = _svg(reasons)
    return board


def _lag_p95(lags: Counter) -> str:
    """The 95th percentile of the lag Razorpay's events had when received, in the window:
    from the slowest end, the lag of the event at rank 5% of those with one."""
    rank = lags.total() * 5 // 100
    for shown in sorted(lags, key=float, reverse=True):
        rank -= lags[shown]
        if rank < 0:
            return f"{shown} s"
    return "—"


def _lag_shown(lag_ms: int) -> str:
    """A lag as the page shows it, in seconds: counted by that, a day's lags are a few
    hundred numbers, and the percentile is the same (the rounding keeps their order)."""
    return f"{lag_ms / 1000:.1f}"


def _chart_cells(days: dict[date, "DayFigures"], since: datetime, bucket: str) -> dict:
    """{(bucket's start, currency): counts} for every bucket a currency had payments in."""
    if bucket == "day":
        return {
            (day, cur): counts
            for day, figures in days.items()
            for cur, counts in figures.currencies.items()
            if counts["payments"]
        }
    rows = (
        Payment.objects.filter(created_at__gte=since)
        .annotate(at=Trunc("created_at", bucket))
        .values("at", "currency")
        .annotate(**_PAYMENT_COUNTS)
    )
    return {(row.pop("at"), row.pop("currency")): Counter(row) for row in rows}


def _charts(cell: dict, bucket: str, show_money: bool) -> dict[str, str]:
    labels = sorted({at for at, _ in cell})
    currencies = sorted({cur for _, cur in cell})
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
            volume.add(cur, [c["volume"] / 100 if c else 0 for c in cells])
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


# --- the window's days: kept summaries, and live counts for the rest ------------------------
DAY = timedelta(days=1)
# The longest window holds at most this many whole days: the summarise chore keeps as many.
SUMMARY_DAYS = max(span for span, _ in WINDOWS.values()).days
# A write stamps `updated_at` a moment before it commits. A summary is trusted only for
# changes stamped this long before it was counted, so a write that commits a little later
# than it stamped is still noticed (no transaction here holds its rows anywhere near this).
COMMIT_SLACK = timedelta(minutes=5)
_PAYMENT_COUNTS = {
    "payments": Count("pk"),
    "paid": Count("pk", filter=Q(status__in=_PAID)),
    "volume": Coalesce(Sum("amount", filter=Q(status__in=_PAID)), 0),
}


@dataclass
class DayFigures:
    """What one UTC day adds to a window's figures (a `DaySummary`'s fields)."""

    currencies: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: Counter = field(default_factory=Counter)
    lags: Counter = field(default_factory=Counter)


def _midnight(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _window_days(since: datetime) -> dict[date, DayFigures]:
    """Each UTC day's part of the window from `since` on: the whole days from their summary,
    unless the chore has not kept one or something on the day changed since it was counted;
    everything else (the window's first and last partial days among it) counted live. The
    figures are the same either way: a summary only saves reading the day's rows."""
    kept = _summaries_unchanged(_midnight(since - timedelta.resolution) + DAY, _midnight(now()))
    days = _tally(_spans(since, None, skip=kept))
    for day, row in kept.items():
        counts = {cur: Counter(figures) for cur, figures in row.currencies.items()}
        days[day] = DayFigures(counts, Counter(row.failures), Counter(row.lags))
    return days


def _summaries_unchanged(first: datetime, until: datetime) -> dict[date, DaySummary]:
    """The summaries of the days from `first` to `until` (midnights) that nothing has changed
    since they were counted."""
    kept = {
        row.day: row
        for row in DaySummary.objects.filter(day__gte=first.date(), day__lt=until.date())
    }
    if kept:
        for day in _days_changed(since=min(row.checked_at for row in kept.values())):
            kept.pop(day, None)
    return kept


def _spans(start: datetime, end: datetime | None, *, skip) -> list[tuple]:
    """[start, end) (end None: open) less the whole UTC days in `skip`, as (start, end) spans."""
    spans = []
    for day in sorted(skip):
        cut = datetime.combine(day, time(), tzinfo=UTC)
        if start <= cut and (end is None or cut + DAY <= end):
            if start < cut:
                spans.append((start, cut))
            start = cut + DAY
    if end is None or start < end:
        spans.append((start, end))
    return spans


def _within(moment: str, spans: list[tuple]) -> Q:
    found = Q(pk__in=[])
    for start, end in spans:
        found |= Q(**{f"{moment}__gte": start}) & (Q(**{f"{moment}__lt": end}) if end else Q())
    return found


def _tally(spans: list[tuple]) -> dict[date, DayFigures]:
    """Each UTC day's figures within the spans, counted live from the rows (the dashboard's
    edges, and what the summarise chore keeps)."""
    days: dict[date, DayFigures] = defaultdict(DayFigures)
    if not spans:
        return days

    def by_day(queryset, moment: str, *group: str):
        return queryset.annotate(day=TruncDate(moment, tzinfo=UTC)).values("day", *group)

    # A payment tried counts on its latest attempt's day: one day each, so the days of a
    # window add up to "had an attempt in the window" (its latest one is in it, then).
    later = PaymentAttempt.objects.filter(
        payment=OuterRef("payment"), created_at__gt=OuterRef("created_at")
    )
    latest = (
        PaymentAttempt.objects.filter(_within("created_at", spans))
        .exclude(Exists(later))
        .annotate(currency=F("payment__currency"))
    )
    paid = Q(payment__status__in=_PAID)
    tried = by_day(latest, "created_at", "currency").annotate(
        # distinct: two latest attempts made in the same instant are one payment tried
        tried=Count("payment", distinct=True),
        tried_paid=Count("payment", distinct=True, filter=paid),
    )
    refunded = ~Q(status=RefundStatus.FAILED)
    for rows in (
        by_day(
            Payment.objects.filter(_within("created_at", spans)), "created_at", "currency"
        ).annotate(**_PAYMENT_COUNTS),
        tried,
        by_day(
            Refund.objects.filter(_within("created_at", spans)), "created_at", "currency"
        ).annotate(refunds=Count("pk"), refunded=Coalesce(Sum("amount", filter=refunded), 0)),
    ):
        for row in rows:
            days[row.pop("day")].currencies[row.pop("currency")].update(row)
    failed = PaymentAttempt.objects.filter(_within("created_at", spans), status="failed")
    for row in by_day(failed, "created_at", "error_reason").annotate(count=Count("pk")):
        days[row["day"]].failures[row["error_reason"]] += row["count"]
    lagged = WebhookEvent.objects.filter(_within("received_at", spans), lag_ms__isnull=False)
    for row in by_day(lagged, "received_at", "lag_ms").annotate(count=Count("pk")):
        days[row["day"]].lags[_lag_shown(row["lag_ms"])] += row["count"]
    return days


def _days_changed(*, since: datetime) -> set[date]:
    """The UTC days whose figures a write stamped from `since` on may have changed: a
    payment's own day and its attempts' days (its status; a newer latest attempt), a refund's."""
    touched = (
        Payment.objects.filter(updated_at__gte=since)
        .order_by()
        .values("pk")
        .union(PaymentAttempt.objects.filter(updated_at__gte=since).order_by().values("payment_id"))
    )

    def days(queryset):
        day = TruncDate("created_at", tzinfo=UTC)
        return queryset.annotate(day=day).order_by().values_list("day", flat=True)

    return set(
        days(Payment.objects.filter(pk__in=touched)).union(
            days(PaymentAttempt.objects.filter(payment_id__in=touched)),
            days(Refund.objects.filter(updated_at__gte=since)),
        )
    )


def day_summaries_refresh() -> str:
    """The `summarise_days` chore: a `DaySummary` for each of the last SUMMARY_DAYS whole UTC
    days, counted again when missing or when something on the day changed since it was
    counted, however old the day (a payment paid days later, a refund that failed a week on).
    Until a run folds a change in, the dashboard counts that day live: never a stale figure."""
    checked = now() - COMMIT_SLACK
    today = _midnight(now())
    first = today - SUMMARY_DAYS * DAY
    DaySummary.objects.filter(day__lt=first.date()).delete()  # older than the longest window
    kept = _summaries_unchanged(first, today)
    days = _tally(_spans(first, today, skip=kept))
    counted = [(first + n * DAY).date() for n in range(SUMMARY_DAYS)]
    counted = [day for day in counted if day not in kept]
    with transaction.atomic():
        for day in counted:
            figures = days[day]
            DaySummary.objects.update_or_create(
                day=day,
                defaults={
                    "currencies": {cur: dict(c) for cur, c in figures.currencies.items()},
                    "failures": dict(figures.failures),
                    "lags": dict(figures.lags),
                    "checked_at": checked,
                },
            )
        # Those unchanged were checked just now: the next run looks at changes from here on.
        DaySummary.objects.filter(day__in=list(kept)).update(checked_at=checked)
    return f"{len(counted)} day(s) counted, {len(kept)} unchanged"
