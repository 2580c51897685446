"""/metrics after real flows: what an operator's dashboards and alerts read."""

import json

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from payments.models import AWAITING, Payment, PaymentStatus
from payments.services import payment_transition
from webhooks.tests.events import event, payment_entity, sign

pytestmark = pytest.mark.django_db


def scrape(**headers) -> dict[tuple[str, frozenset], float]:
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def grew(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0) - before.get(key, 0)


def test_a_paid_payment_shows_in_requests_gateway_webhooks_and_statuses(
    initiate, razorpay, django_capture_on_commit_callbacks
):
    before = scrape()
    payment = initiate().json()
    assert initiate().status_code == 201  # the same key and body: replayed
    assert initiate(amount=2000).status_code == 422  # the same key, another body
    handler = razorpay.pay(payment["razorpayOrderId"], outcome="authorized")
    # Transitions are counted as their transaction commits (here: the test's, never).
    with django_capture_on_commit_callbacks(execute=True):
        assert APIClient().post("/payments/confirm", handler, format="json").status_code == 200
    body = json.dumps(
        event(
            "payment.captured",
            payment_entity(
                order_id=payment["razorpayOrderId"], payment_id=handler["razorpay_payment_id"]
            ),
        )
    ).encode()
    headers = {"X-Razorpay-Signature": sign(body), "X-Razorpay-Event-Id": "evt_Metrics01"}
    for _ in range(2):
        delivered = Client().post(
            "/webhooks/razorpay", body, content_type="application/json", headers=headers
        )
        assert delivered.status_code == 200
    forged = Client().post(
        "/webhooks/razorpay",
        body,
        content_type="application/json",
        headers={"X-Razorpay-Signature": "0" * 64},
    )
    assert forged.status_code == 400
    after = scrape()

    requests = "http_request_duration_seconds_count"
    assert grew(before, after, requests, route="payments/initiate", method="POST", status="201")
    assert grew(before, after, requests, route="payments/initiate", method="POST", status="422")
    assert grew(before, after, requests, route="payments/confirm", method="POST", status="200")
    assert grew(before, after, requests, route="webhooks/razorpay", method="POST", status="400")
    assert not any(payment["id"] in str(labels) for _, labels in after)  # routes, not paths

    gateway = "gateway_request_duration_seconds_count"
    assert grew(before, after, gateway, operation="order.create", outcome="ok") == 1
    assert grew(before, after, gateway, operation="payment.fetch", outcome="ok") == 1
    assert grew(before, after, gateway, operation="payment.capture", outcome="ok") == 1
    assert grew(before, after, "gateway_request_duration_seconds_bucket",
                operation="order.create", outcome="ok", le="+Inf") == 1  # fmt: skip

    webhooks = "webhook_events_total"
    assert grew(before, after, webhooks, type="payment.captured", outcome="processed") == 1
    assert grew(before, after, webhooks, type="payment.captured", outcome="duplicate") == 1
    assert grew(before, after, webhooks, type="unverified", outcome="signature_invalid") == 1
    assert grew(before, after, "webhook_lag_seconds_count", type="payment.captured") == 1

    assert grew(before, after, "idempotent_replays_total", operation="payments.initiate") == 1
    assert grew(before, after, "idempotency_conflicts_total",
                operation="payments.initiate", code="idempotency_key_reused") == 1  # fmt: skip

    transitions = "payment_transitions_total"
    assert grew(before, after, transitions, from_status="created", to_status="captured") == 1
    assert after[("payments_by_status", frozenset({("status", "authorized")}))] == 0
    assert after[("payments_by_status", frozenset({("status", "created")}))] == 0
    assert ("payments_by_status", frozenset({("status", "captured")})) not in after  # a counter
    assert after[("refunds_by_status", frozenset({("status", "pending")}))] == 0


def test_gateway_failures_are_counted_by_outcome(initiate, razorpay):
    before = scrape()
    razorpay.faults(error_rate=1.0, paths=["/v1/orders"])
    assert initiate().status_code == 502
    after = scrape()
    outcome = {"operation": "order.create", "outcome": "gateway_unavailable"}
    assert grew(before, after, "gateway_request_duration_seconds_count", **outcome) == 1


def test_metrics_need_the_bearer_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    for headers in ({}, {"Authorization": "Bearer wrong-token"}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused["Content-Type"] == "application/problem+json"
        assert refused["WWW-Authenticate"].startswith("Bearer")
        assert refused.json()["code"] == "authentication_failed"
    scrape(Authorization="Bearer scrape-token-0123456789")


def test_probes_and_metrics_answer_any_host_and_are_never_rate_limited(client, settings):
    settings.RATE_LIMIT_CLIENT_APP = settings.RATE_LIMIT_CONFIRM_IP = "1/m"
    pod_address = {"Host": "10.1.2.3:8000"}
    for _ in range(3):
        assert client.get("/metrics", headers=pod_address).status_code == 200
        assert client.get("/healthz", headers=pod_address).status_code == 200
    assert client.get("/payments", headers=pod_address).status_code == 400  # ALLOWED_HOSTS


def test_status_gauges_cost_one_group_by_query_per_model(client, django_assert_num_queries):
    # payments, refunds, deliveries; then the pending deliveries' retry backlog and oldest age;
    # then the undecided disputes and those due within 48 h, in one query
    with django_assert_num_queries(5) as queries:
        assert client.get("/metrics").status_code == 200
    *grouped, pending, disputes = [query["sql"] for query in queries.captured_queries]
    assert all("GROUP BY" in sql for sql in grouped)
    assert "notifications_delivery" in pending and "MIN(" in pending
    assert "disputes_dispute" in disputes


def test_disputes_show_open_and_due_within_48_hours(client_app):
    from datetime import timedelta

    from disputes.models import Dispute
    from payments_service.clock import now

    paid = Payment.objects.create(
        client_app=client_app,
        external_ref="disputed",
        amount=1000,
        currency="INR",
        status=PaymentStatus.CAPTURED,
        razorpay_payment_id="pay_Disputed000001",
    )

    def dispute(number, status, respond_in):
        Dispute.objects.create(
            razorpay_dispute_id=f"disp_{number:014d}",
            payment=paid,
            razorpay_payment_id=paid.razorpay_payment_id,
            amount=100,
            currency="INR",
            status=status,
            respond_by=now() + respond_in,
            opened_at=now(),
            source="webhook",
        )

    dispute(1, "open", timedelta(days=5))
    dispute(2, "under_review", timedelta(hours=47))
    dispute(3, "action_required", timedelta(hours=-1))  # overdue
    dispute(4, "lost", timedelta(hours=1))  # decided: neither

    text = Client().get("/metrics").content.decode()

    assert "\ndisputes_open 3.0\n" in text and "\ndisputes_due_within_48h 2.0\n" in text


def test_deliveries_show_by_status_with_the_retry_backlog_and_the_oldest_waiting(client_app):
    from datetime import timedelta

    from notifications.models import Delivery
    from notifications.services import event_record, webhook_endpoint_create
    from payments_service.clock import now

    endpoint, _ = webhook_endpoint_create(client_app=client_app, url="http://127.0.0.1:9/")
    made = [
        event_record(
            client_app=client_app, type="refund.failed", object_id="r", data={}, actor="app"
        )
        for _ in range(3)
    ]
    hour_ago = now() - timedelta(hours=1)
    for told, (status, attempts) in zip(
        made, [("pending", 0), ("pending", 2), ("delivered", 1)], strict=True
    ):
        Delivery.objects.create(
            event=told,
            endpoint=endpoint,
            status=status,
            attempts=attempts,
            next_attempt_at=now(),
            created_at=hour_ago if attempts == 2 else now(),
        )
    samples = scrape()
    by = {
        status: samples[("webhook_deliveries", frozenset({("status", status)}))]
        for status in ("pending", "delivered", "failed")
    }
    assert by == {"pending": 2, "delivered": 1, "failed": 0}
    assert samples[("webhook_delivery_retry_backlog", frozenset())] == 1
    age = samples[("webhook_oldest_undelivered_event_age_seconds", frozenset())]
    assert 3590 < age < 3700


def test_payments_by_status_counts_awaiting_payments_only_through_an_index(
    initiate, razorpay, client
):
    """A scrape must not read the whole payments table: paid and failed ones only pile up."""
    created = initiate().json()
    initiate(key="k2", externalRef="paid")
    paid = Payment.objects.get(external_ref="paid")
    Payment.objects.filter(pk=paid.pk).update(status=PaymentStatus.CAPTURED)
    with CaptureQueriesContext(connection) as queries:
        samples = scrape()
    (counting,) = [q["sql"] for q in queries.captured_queries if "payments_payment" in q["sql"]]
    assert samples[("payments_by_status", frozenset({("status", "created")}))] == 1
    assert {labels for name, labels in samples if name == "payments_by_status"} == {
        frozenset({("status", status)}) for status in AWAITING
    }
    assert created["status"] == "created"
    assert "payment_awaiting_status_idx" in _plan(counting), _plan(counting)


def _plan(sql: str) -> str:
    """The query plan of `sql`, as if the table were large (no sequential scan on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row) for row in cursor.fetchall())


def test_a_transition_is_counted_once_committed_and_not_when_rolled_back(
    initiate, razorpay, django_capture_on_commit_callbacks
):
    payment = Payment.objects.get(pk=initiate().json()["id"])
    labels = {"from_status": "created", "to_status": "failed"}
    before = scrape()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        payment_transition(payment=payment, to="failed", source="api")
        raise RuntimeError("rolled back")
    assert grew(before, scrape(), "payment_transitions_total", **labels) == 0
    payment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        payment_transition(payment=payment, to="failed", source="api")
        payment.save()
    assert grew(before, scrape(), "payment_transitions_total", **labels) == 1
