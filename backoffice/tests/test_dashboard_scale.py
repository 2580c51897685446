"""The dashboard over a year of a million payments (PostgreSQL, seeded with generate_series):
once the summarise_days chore has counted the past days, each window's page is answered from
a bounded number of queries within 300 ms in all; those times and the chore's own are written
to test-artifacts/dashboard-timings.txt for the record.

Outside `make test`'s time budget: `make test-scale` (CI runs it after `make test`)."""

import time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.chores import chore_execute, chores_ensure
from reliability.tests.conftest import postgres_only

pytestmark = [
    pytest.mark.scale,
    postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(900),
]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAYMENTS = 1_000_000

SEED = [
    # A year of payments, one a ~30 s; a tenth in USD; a fifth failed, a seventh never paid;
    # each last written when it was made.
    """
    INSERT INTO payments_payment (id, client_app_id, external_ref, amount, currency, status,
        amount_refunded, amount_disputed, amount_lost_to_disputes, version, email, contact,
        metadata, razorpay_order_id, razorpay_payment_id, created_at, updated_at)
    SELECT 'pmt_s' || g, %(app)s, 'ref-' || g, 1000 + g %% 50000,
        CASE WHEN g %% 10 = 0 THEN 'USD' ELSE 'INR' END,
        CASE WHEN g %% 5 = 0 THEN 'failed' WHEN g %% 7 = 0 THEN 'created' ELSE 'captured' END,
        0, 0, 0, 2, '', '', '{}', 'order_s' || g,
        CASE WHEN g %% 5 = 0 OR g %% 7 = 0 THEN '' ELSE 'pay_s' || g END,
        now() - (g * interval '31.5 seconds'), now() - (g * interval '31.5 seconds')
    FROM generate_series(1, %(n)s) g
    """,
    # One attempt per payment that was tried (all but the never-paid).
    """
    INSERT INTO payments_paymentattempt (payment_id, razorpay_payment_id, status, method, amount,
        error_code, error_description, error_source, error_step, error_reason, created_at,
        updated_at)
    SELECT id, 'pay_a' || substr(id, 6),
        CASE status WHEN 'failed' THEN 'failed' ELSE 'captured' END, 'card', amount,
        CASE status WHEN 'failed' THEN 'BAD_REQUEST_ERROR' ELSE '' END, '', '', '',
        CASE WHEN status = 'failed' THEN (ARRAY['insufficient_funds', 'card_declined',
            'authentication_failed'])[1 + length(id) %% 3] ELSE '' END,
        created_at, created_at
    FROM payments_payment WHERE id LIKE 'pmt_s%%' AND status <> 'created'
    """,
    # A refund of one payment in twenty.
    """
    INSERT INTO refunds_refund (id, payment_id, amount, currency, status, razorpay_payment_id,
        speed_requested, speed_processed, reason, notes, requested_by, source, failure_reason,
        reviewed_by, review_reason, version, created_at, updated_at)
    SELECT 'rfd_s' || substr(id, 6), id, 500, currency, 'processed', razorpay_payment_id,
        'normal', 'normal', '', '{}', 'app:shop', 'api', '', '', '', 1, created_at, created_at
    FROM payments_payment WHERE id LIKE 'pmt_s%%' AND status = 'captured'
        AND length(id) %% 20 = 0
    """,
    # Two webhook events a paid payment, with their lag.
    """
    INSERT INTO webhooks_webhookevent (event_id, event_type, account_id, body, headers, status,
        attempts, last_error, traceback, created_at, received_at, lag_ms)
    SELECT 'evt_s' || substr(id, 6) || '_' || k, 'payment.captured', '', '{}', '{}',
        CASE WHEN length(id) %% 97 = 0 THEN 'failed' ELSE 'processed' END, 1, '', '',
        created_at, created_at, 50 + (length(id) * k * 37) %% 4000
    FROM payments_payment, generate_series(1, 2) k
    WHERE id LIKE 'pmt_s%%' AND status = 'captured'
    """,
]


def test_the_dashboard_over_a_million_payments_answers_from_bounded_queries(finance, client_app):
    with connection.cursor() as cursor:
        for statement in SEED:
            cursor.execute(statement, {"app": client_app.pk, "n": PAYMENTS})
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM payments_payment")
        assert cursor.fetchone()[0] >= PAYMENTS
    chores_ensure()
    started = time.perf_counter()
    detail = chore_execute(name="summarise_days")
    lines = [f"summarise_days chore: {time.perf_counter() - started:.2f} s ({detail})"]
    assert detail.startswith("30 day(s) counted")
    totals = {}

    for window in ("24h", "7d", "30d"):
        finance.get("/admin/", {"window": window})  # warm: the first query of a run plans
        with CaptureQueriesContext(connection) as captured:
            page = finance.get("/admin/", {"window": window})
        assert page.status_code == 200 and 'id="dashboard"' in page.content.decode()
        queries = captured.captured_queries
        total = sum(float(query["time"]) for query in queries)
        slowest = max(queries, key=lambda query: float(query["time"]))
        lines.append(
            f"{window}: {len(queries)} queries, {total * 1000:.0f} ms in all; slowest "
            f"{float(slowest['time']) * 1000:.0f} ms: {slowest['sql'][:160]}"
        )
        assert len(queries) <= 40, [query["sql"][:120] for query in queries]
        totals[window] = total
    ARTIFACTS.mkdir(exist_ok=True)
    report = f"Dashboard queries over {PAYMENTS:,} payments (PostgreSQL)\n" + "\n".join(lines)
    (ARTIFACTS / "dashboard-timings.txt").write_text(report + "\n")
    print(report)
    assert max(totals.values()) < 0.3, report  # the bound for the page's queries
