"""The database lost: unreachable for a whole process, or a request's connection cut in the
middle of its transaction. The client gets a clean 503 `database_unavailable` problem, no
half-written row is left, and the same Idempotency-Key works once the database is back."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from clients.models import IdempotencyKey
from conftest import SIM_KEY_ID, SIM_KEY_SECRET, SIM_WEBHOOK_SECRET
from payments.models import Payment, PaymentStatusChange
from refunds.models import Refund
from reliability.clients import ShopClient, assert_problem
from reliability.invariants import assert_invariants
from reliability.servers import ServiceProcess, free_port
from reliability.tests.conftest import postgres_only
from reliability.waiting import wait_until
from webhooks.tests.events import event, payment_entity, sign

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_service_whose_database_is_unreachable_answers_503_problems_and_stays_alive(
    sim, tmp_path, client_app
):
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/gone"  # nothing listens there
    service = ServiceProcess(
        tmp_path,
        "no-database",
        {
            "DATABASE_URL": nowhere,
            "RAZORPAY_API_BASE_URL": sim.url,
            "RAZORPAY_TEST_KEY_ID": SIM_KEY_ID,
            "RAZORPAY_TEST_SECRET_KEY": SIM_KEY_SECRET,
            "RAZORPAY_WEBHOOK_SECRET": SIM_WEBHOOK_SECRET,
        },
    ).start()
    client = ShopClient(service.url, client_app.api_key)
    body = json.dumps(
        event("payment.captured", payment_entity(order_id="order_X", payment_id="pay_X"))
    ).encode()
    try:
        answers = [
            client.initiate(key="k"),
            client.payment("pmt_01JD000000000000000000000X"),
            client.refund("pmt_01JD000000000000000000000X", key="r", amount=100),
            client.confirm(
                {
                    "razorpay_order_id": "order_X",
                    "razorpay_payment_id": "pay_X",
                    "razorpay_signature": "ab12",
                }
            ),
            client.request(  # Razorpay's delivery: a 503 makes it deliver the event again
                "POST",
                "/webhooks/razorpay",
                auth=False,
                data=body,
                headers={"Content-Type": "application/json", "X-Razorpay-Signature": sign(body)},
            ),
        ]
        for response in answers:
            assert_problem(response, 503, "database_unavailable")
            assert response.headers["Retry-After"].isdigit()
        not_ready = client.request("GET", "/readyz", auth=False)
        assert_problem(not_ready, 503, "not_ready")
        assert client.request("GET", "/healthz", auth=False).status_code == 200
    finally:
        service.stop()
    assert "Traceback" not in service.output()
    assert not Payment.objects.exists()
    assert not IdempotencyKey.objects.exists()


# --- a request's connection cut mid-transaction (PostgreSQL: pg_terminate_backend) -----------
def backends_waiting() -> list[int]:
    """The server connections of the test database (other than the test's) waiting on a lock."""
    with connection.cursor() as cursor:
        # Inside a transaction, statistics views are a snapshot taken at the first look.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return [pid for (pid,) in cursor.fetchall()]


def terminate_backend_waiting_on_a_lock() -> None:
    """From the test's own connection (which holds the lock): ends the server connection that
    waits for it, as a failover or a killed backend would."""

    [pid] = wait_until(backends_waiting, timeout=15, what="the request to wait on the held lock")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def while_holding(lock, send):
    """Sends the request while the test's transaction holds `lock()`; cuts the request's
    connection once it waits for it; then rolls the test's transaction back."""
    with ThreadPoolExecutor(max_workers=1) as pool, transaction.atomic():
        lock()
        in_flight = pool.submit(send)
        terminate_backend_waiting_on_a_lock()
        response = in_flight.result(timeout=30)
        transaction.set_rollback(True)
    return response


@postgres_only
def test_initiate_whose_connection_is_cut_mid_insert_answers_503_and_leaves_no_payment(
    shop, sim, client_app
):
    def same_external_ref_uncommitted():  # the request's INSERT waits on the unique index
        Payment.objects.create(client_app=client_app, external_ref="cut", amount=1000)

    response = while_holding(
        same_external_ref_uncommitted, lambda: shop.initiate(key="cut-1", externalRef="cut")
    )

    body = assert_problem(response, 503, "database_unavailable")
    assert response.headers["Retry-After"].isdigit()
    assert "terminat" not in body["detail"].lower()  # no database internals leak
    assert not Payment.objects.exists()
    assert not PaymentStatusChange.objects.exists()
    assert not IdempotencyKey.objects.exists()  # released: the retry may use the key at once

    retry = shop.initiate(key="cut-1", externalRef="cut")
    assert retry.status_code == 201, retry.text
    assert_invariants()


@postgres_only
def test_refund_whose_connection_is_cut_while_it_waits_for_the_payment_answers_503_and_reserves_nothing(  # noqa: E501
    shop, webhooks_to_live_server
):
    sim = webhooks_to_live_server
    paid = shop.initiate(key="pay", externalRef="refund-cut").json()
    assert shop.confirm(sim.pay(paid["razorpayOrderId"])).json()["status"] == "captured"
    wait_until(  # the payment's webhooks lock its row too: let them land first
        lambda: [d["status"] for d in sim.webhooks()] == ["delivered"] * 3,
        timeout=15,
        what="the payment's three webhooks to be delivered",
    )

    def payment_row_locked():  # as a concurrent refund or webhook holds it
        Payment.objects.select_for_update().get(pk=paid["id"])

    response = while_holding(
        payment_row_locked, lambda: shop.refund(paid["id"], key="r1", amount=300)
    )

    assert_problem(response, 503, "database_unavailable")
    assert not Refund.objects.exists()
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_refunded) == ("captured", 0)
    assert not IdempotencyKey.objects.filter(operation__startswith="refunds").exists()
    assert len(sim.webhooks()) == 3  # the payment's own: Razorpay saw no refund

    retry = shop.refund(paid["id"], key="r1", amount=300)
    assert retry.status_code == 201, retry.text
    assert_invariants()


@postgres_only
def test_a_request_that_finds_its_processs_pool_lent_out_answers_503_and_is_served_after(
    sim, tmp_path, client_app
):
    """A process lends at most DB_POOL_SIZE connections; a request that finds none free within
    DB_POOL_TIMEOUT is answered 503 `database_unavailable` instead of queueing without end,
    and is served once the connection is back."""
    service = ServiceProcess(
        tmp_path,
        "one-connection",
        {
            "RAZORPAY_API_BASE_URL": sim.url,
            "RAZORPAY_TEST_KEY_ID": SIM_KEY_ID,
            "RAZORPAY_TEST_SECRET_KEY": SIM_KEY_SECRET,
            "RAZORPAY_WEBHOOK_SECRET": SIM_WEBHOOK_SECRET,
            "DB_POOL_SIZE": "1",
            "DB_POOL_TIMEOUT": "0.5",
        },
    ).start()
    client = ShopClient(service.url, client_app.api_key)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool, transaction.atomic():
            # The first request's INSERT waits on the unique index, holding the only connection.
            Payment.objects.create(client_app=client_app, external_ref="held", amount=1000)
            held = pool.submit(client.initiate, key="held-1", externalRef="held")
            wait_until(backends_waiting, timeout=15, what="the first request to hold the lock")
            starved = client.request("GET", "/payments?pageSize=1")
            transaction.set_rollback(True)
        assert_problem(starved, 503, "database_unavailable")
        assert starved.headers["Retry-After"].isdigit()
        created = held.result(timeout=30)
        assert created.status_code == 201, created.text
        assert client.payment(created.json()["id"]).status_code == 200
    finally:
        service.stop()
    assert "Traceback" not in service.output()
