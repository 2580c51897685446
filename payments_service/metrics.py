"""Prometheus metrics, served at /metrics.

Under gunicorn every worker is a process of its own: with `PROMETHEUS_MULTIPROC_DIR` set (as
gunicorn.conf.py does) each one writes its samples to files there and a scrape, whichever
worker answers it, adds them all up. Without it (runserver, tests) the process's own registry
is served. Counts of payments in the statuses they wait in, and of refunds by status, come
from the database at scrape time; payments' other statuses only pile up, so their transitions
are counted instead (`payment_transitions_total`), never the table.
"""

import hmac
import logging
import os

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.http import HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from .clock import now
from .problems import problem_response

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Histogram(
    "http_request_duration_seconds",
    "HTTP requests by URL route (never the raw path), method and status; _count counts them.",
    ["route", "method", "status"],
)
GATEWAY_CALLS = Histogram(
    "gateway_request_duration_seconds",
    "Razorpay API calls by operation and outcome (ok or the error code); _count counts them.",
    ["operation", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
WEBHOOK_EVENTS = Counter(
    "webhook_events_total",
    "Webhook deliveries by event type and outcome (processed, ignored, failed, duplicate, "
    "duplicate_body, error, or why it was rejected).",
    ["type", "outcome"],
)
WEBHOOK_ERRORS = Counter(
    "webhook_processing_errors_total",
    "Webhook events whose processing raised an error of ours (a bug, the database), by event "
    "type and exception class; each is kept with its traceback and retried.",
    ["type", "error"],
)
WEBHOOK_LAG = Histogram(
    "webhook_lag_seconds",
    "From the event's created_at at Razorpay to its first delivery here.",
    ["type"],
    buckets=(1, 5, 15, 30, 60, 300, 900, 3600, 21600, 86400),
)
PAYMENT_TRANSITIONS = Counter(
    "payment_transitions_total",
    "Payment status transitions, by the status left and the status reached (counted when their "
    "transaction commits).",
    ["from_status", "to_status"],
)
IDEMPOTENT_REPLAYS = Counter(
    "idempotent_replays_total", "Requests answered from a stored response.", ["operation"]
)
IDEMPOTENCY_CONFLICTS = Counter(
    "idempotency_conflicts_total",
    "Requests refused over their Idempotency-Key (idempotency_key_in_use: 409, "
    "idempotency_key_reused: 422).",
    ["operation", "code"],
)


class StatusCountCollector:
    """`<name>{status}`: rows of a model by status, one GROUP BY query per scrape; only the
    `statuses` given, when given (an index then reads them, not the whole table)."""

    def __init__(self, name: str, model_label: str, statuses: str | None = None):
        # `statuses`: the dotted path of the set, imported at scrape time, as the model is (the
        # apps import this module, so it imports none of theirs when it is imported).
        self.name, self.model_label, self.statuses = name, model_label, statuses

    def describe(self):
        return [self._family()]

    def collect(self):
        try:
            model = apps.get_model(self.model_label)
        except LookupError:  # the app is not installed
            return
        statuses = [value for value, _ in model._meta.get_field("status").choices]
        rows = model.objects.order_by()
        if self.statuses:
            counted = import_string(self.statuses)
            statuses = [status for status in statuses if status in counted]
            rows = rows.filter(status__in=sorted(counted))  # as the partial index says it
        counts = dict.fromkeys(statuses, 0)
        try:
            counts.update(rows.values_list("status").annotate(n=Count("*")))
        except DatabaseError as exc:  # still serve the process's own metrics
            logger.warning("metrics: cannot count %s: %s", self.model_label, exc)
            return
        family = self._family()
        for status, count in sorted(counts.items()):
            family.add_metric([status], count)
        yield family

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.name, f"{self.model_label} rows by status", labels=["status"])


class DeliveryCollector:
    """Event deliveries to client apps' endpoints, from the database at scrape time (the
    worker sends them and serves no metrics): by status, the retry backlog, and how long the
    oldest undelivered event has waited. The (status, next_attempt_at) index answers each."""

    def describe(self):
        return list(self._families())

    def _families(self):
        return (
            GaugeMetricFamily(
                "webhook_deliveries",
                "Deliveries to client apps' endpoints by status (pending, delivered, failed), "
                "kept as long as their events.",
                labels=["status"],
            ),
            GaugeMetricFamily(
                "webhook_delivery_retry_backlog",
                "Pending deliveries that have failed at least once, waiting for a retry.",
            ),
            GaugeMetricFamily(
                "webhook_oldest_undelivered_event_age_seconds",
                "Age of the oldest event with a pending delivery (0: none): deliveries fall "
                "behind, or an endpoint keeps failing.",
            ),
        )

    def collect(self):
        try:
            model = apps.get_model("notifications.Delivery")
        except LookupError:
            return
        rows = model.objects.order_by()
        try:
            counts = dict.fromkeys(["pending", "delivered", "failed"], 0)
            counts.update(rows.values_list("status").annotate(n=Count("*")))  # index only
            pending = rows.filter(status="pending").aggregate(  # the few pending rows
                retrying=Count("pk", filter=Q(attempts__gt=0)), oldest=Min("created_at")
            )
            backlog, oldest = pending["retrying"], pending["oldest"]
        except DatabaseError as exc:
            logger.warning("metrics: cannot count deliveries: %s", exc)
            return
        by_status, retries, age = self._families()
        for status, count in sorted(counts.items()):
            by_status.add_metric([status], count)
        retries.add_metric([], backlog)
        age.add_metric([], max(0.0, (now() - oldest).total_seconds()) if oldest else 0.0)
        yield from (by_status, retries, age)


class DisputeCollector:
    """`disputes_open` (undecided disputes: open, under review, action required) and
    `disputes_due_within_48h` (of those, the ones to answer within 48 hours or already
    overdue), from the database at scrape time (the status-and-deadline index answers both)."""

    def describe(self):
        return list(self._families())

    def _families(self):
        return (
            GaugeMetricFamily("disputes_open", "Disputes not yet decided (won, lost or closed)."),
            GaugeMetricFamily(
                "disputes_due_within_48h",
                "Undecided disputes whose respond-by is within 48 hours or has passed.",
            ),
        )

    def collect(self):
        try:
            counts = import_string("disputes.selectors.dispute_counts")
        except ImportError:  # the app is not installed
            return
        try:
            values = counts()
        except DatabaseError as exc:
            logger.warning("metrics: cannot count disputes: %s", exc)
            return
        for family, value in zip(self._families(), values, strict=True):
            family.add_metric([], value)
            yield family


_DATABASE_REGISTRY = CollectorRegistry()
_DATABASE_REGISTRY.register(
    StatusCountCollector("payments_by_status", "payments.Payment", "payments.models.AWAITING")
)
_DATABASE_REGISTRY.register(StatusCountCollector("refunds_by_status", "refunds.Refund"))
_DATABASE_REGISTRY.register(DeliveryCollector())
_DATABASE_REGISTRY.register(DisputeCollector())


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_DATABASE_REGISTRY)


@require_GET
def metrics_view(request):
    """GET /metrics: open, or `Authorization: Bearer <METRICS_TOKEN>` when that is set."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            response = problem_response(
                request, 401, detail="Send Authorization: Bearer <METRICS_TOKEN>."
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
