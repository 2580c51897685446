"""The service killed (SIGKILL) in the middle of a keyed write, then the client's retry with
the same Idempotency-Key: one payment and one order, one refund here and at Razorpay.

A request is stalled exactly where the crash matters with a crash point (`CRASH_POINTS`, refused
in production), or by a slow gateway, and its whole process group is killed there.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.management import call_command
from rest_framework.test import APIClient

from clients.models import IdempotencyKey
from conftest import SIM_KEY_ID, SIM_KEY_SECRET, SIM_WEBHOOK_SECRET
from payments.models import Payment
from payments_service.clock import now
from payments_service.integrations.razorpay import get_gateway
from payments_service.tests.servers import ROOT, current_database_url
from refunds.models import Refund
from reliability.clients import ShopClient, assert_problem, retry_while_in_flight
from reliability.invariants import assert_invariants
from reliability.servers import ServiceProcess
from reliability.waiting import wait_until

from .conftest import postgres_only

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

# A crashed request's key and order claim lapse after this (production: 60 s, longer than any
# gateway call). Kept longer than the simulator's latency below, as in production, so that an
# order Razorpay was still making when the process died exists before a retry may look for it.
LEASE_SECONDS = 4
ORDERS = {"paths": ["/v1/orders"], "methods": ["POST"]}


@pytest.fixture
def service(sim, tmp_path):
    """Starts gunicorn processes of the service on the test database and the simulator; any
    still running at the end are stopped."""
    started: list[ServiceProcess] = []

    def start(name: str, **more_env: str) -> ServiceProcess:
        env = {
            "ENVIRONMENT": "development",
            "RAZORPAY_API_BASE_URL": sim.url,
            "RAZORPAY_TEST_KEY_ID": SIM_KEY_ID,
            "RAZORPAY_TEST_SECRET_KEY": SIM_KEY_SECRET,
            "RAZORPAY_WEBHOOK_SECRET": SIM_WEBHOOK_SECRET,
            "RAZORPAY_READ_TIMEOUT": "10",
            "IDEMPOTENCY_LOCK_SECONDS": str(LEASE_SECONDS),
            **more_env,
        }
        process = ServiceProcess(tmp_path, name, env)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


@pytest.mark.parametrize(
    "at_razorpay",
    [
        {"latency_ms": 2500},  # the order is made after the process died: the answer is lost
        {"timeout_rate": 1, "hang_seconds": 3},  # the request is swallowed: no order at all
    ],
    ids=["order-made-answer-lost", "request-lost"],
)
def test_service_killed_mid_initiate_then_retried_ends_with_one_payment_and_one_order(
    service, sim, client_app, at_razorpay
):
    sim.faults(**at_razorpay, **ORDERS)
    first = service("first")
    client = ShopClient(first.url, client_app.api_key)
    with ThreadPoolExecutor(max_workers=1) as pool:
        in_flight = pool.submit(client.initiate, key="crash-1", externalRef="crash-1")
        payment = wait_until(
            lambda: Payment.objects.filter(external_ref="crash-1").first(),
            timeout=15,
            what="the payment row the service writes before calling Razorpay",
        )
        assert payment.razorpay_order_id is None and payment.order_claimed_until
        wait_until(
            lambda: sim.received("POST", "/v1/orders"),
            timeout=15,
            what="the order request to reach Razorpay",
        )
        first.kill()
        with pytest.raises(requests.ConnectionError):
            in_flight.result(timeout=15)
    key = IdempotencyKey.objects.get()
    assert key.status == "in_progress"  # the crash left its claim, leased for LEASE_SECONDS
    if "latency_ms" in at_razorpay:
        wait_until(
            lambda: get_gateway().find_orders_by_receipt(payment.id),
            timeout=10,
            what="Razorpay to make the order the dead process asked for",
        )
    sim.faults()

    second = service("second")
    client = ShopClient(second.url, client_app.api_key)
    retry = retry_while_in_flight(lambda: client.initiate(key="crash-1", externalRef="crash-1"))
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == payment.id
    orders = get_gateway().find_orders_by_receipt(payment.id)
    assert [order.id for order in orders] == [retry.json()["razorpayOrderId"]]
    assert Payment.objects.count() == 1
    assert IdempotencyKey.objects.get().status == "completed"
    assert_invariants()


# --- crash points: the process stalled at a named step, then killed there -------------------
# The lease is long here: a retry while it runs must get 409, and the test ends it itself
# (`_lease_lapses`) instead of waiting for it.
LONG_LEASE = {"IDEMPOTENCY_LOCK_SECONDS": "120"}


def _lease_lapses() -> None:
    """What the passing of IDEMPOTENCY_LOCK_SECONDS does to a crashed request's claims."""
    IdempotencyKey.objects.update(locked_until=now())
    Payment.objects.exclude(order_claimed_until=None).update(order_claimed_until=now())


def _killed_at(process: ServiceProcess, send, *, stalled) -> None:
    """Sends a request in the background, waits until `stalled()` shows it reached its crash
    point, and kills the process group there: the request never gets an answer."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        in_flight = pool.submit(send)
        wait_until(stalled, timeout=20, what=f"the request to stall ({process.log})")
        process.kill()
        with pytest.raises(requests.ConnectionError):
            in_flight.result(timeout=15)


@postgres_only
@pytest.mark.parametrize("point", ["payment.reserved", "payment.order_created"])
def test_initiate_killed_at_each_step_then_retried_makes_one_order(service, sim, client_app, point):
    first = service("first", CRASH_POINTS=point, **LONG_LEASE)
    client = ShopClient(first.url, client_app.api_key)

    def stalled() -> bool:
        payment = Payment.objects.filter(external_ref="crash-2").first()
        if payment is None or point == "payment.reserved":
            return payment is not None
        return bool(get_gateway().find_orders_by_receipt(payment.id))

    _killed_at(first, lambda: client.initiate(key="init-2", externalRef="crash-2"), stalled=stalled)
    payment = Payment.objects.get()
    assert payment.razorpay_order_id is None  # the order, if made, was never linked
    orders_before = get_gateway().find_orders_by_receipt(payment.id)
    assert len(orders_before) == (0 if point == "payment.reserved" else 1)

    second = ShopClient(service("second", **LONG_LEASE).url, client_app.api_key)
    busy = second.initiate(key="init-2", externalRef="crash-2")
    assert_problem(busy, 409, "idempotency_key_in_use")
    assert int(busy.headers["Retry-After"]) >= 1
    _lease_lapses()
    retry = second.initiate(key="init-2", externalRef="crash-2")
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == payment.id
    orders = get_gateway().find_orders_by_receipt(payment.id)
    assert [order.id for order in orders] == [retry.json()["razorpayOrderId"]]
    assert orders_before in ([], orders)  # the order made before the crash is the one linked
    assert Payment.objects.count() == 1
    assert IdempotencyKey.objects.get().status == "completed"
    assert_invariants()


def _captured(client: ShopClient, sim, ref: str) -> dict:
    payment = client.initiate(key=f"init-{ref}", externalRef=ref, amount=1000).json()
    confirmed = client.confirm(sim.pay(payment["razorpayOrderId"]))
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


@postgres_only
@pytest.mark.parametrize(
    "point",
    [
        "refund.reserved",  # the pending refund is committed; Razorpay was never asked
        "refund.sent",  # Razorpay made the refund; its answer was never recorded
    ],
)
def test_refund_killed_at_each_step_then_retried_refunds_once(service, sim, client_app, point):
    first = service("first", CRASH_POINTS=point, **LONG_LEASE)
    client = ShopClient(first.url, client_app.api_key)
    paid = _captured(client, sim, "crash-refund")
    at_razorpay = lambda: get_gateway().payment_refunds(paid["razorpayPaymentId"])  # noqa: E731

    def stalled() -> bool:
        reserved = Refund.objects.exists()
        return reserved and (point == "refund.reserved" or bool(at_razorpay()))

    send = lambda: client.refund(paid["id"], key="refund-1", amount=400)  # noqa: E731
    _killed_at(first, send, stalled=stalled)
    refund = Refund.objects.get()
    assert (refund.status, refund.razorpay_refund_id) == ("pending", None)
    assert len(at_razorpay()) == (0 if point == "refund.reserved" else 1)
    key = IdempotencyKey.objects.get(operation__startswith="refunds.create")
    assert (key.status, key.resource_id) == ("in_progress", refund.id)

    second = ShopClient(service("second", **LONG_LEASE).url, client_app.api_key)
    busy = second.refund(paid["id"], key="refund-1", amount=400)
    assert_problem(busy, 409, "idempotency_key_in_use")  # never 409 refund_exceeds_refundable
    _lease_lapses()
    retry = second.refund(paid["id"], key="refund-1", amount=400)
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == refund.id
    replay = second.refund(paid["id"], key="refund-1", amount=400)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["id"] == refund.id

    call_command("sync_refunds")  # what used to send the crashed refund a second time
    assert [r.notes["refund_id"] for r in at_razorpay()] == [refund.id]
    assert [r.amount for r in at_razorpay()] == [400]
    assert Refund.objects.count() == 1
    assert IdempotencyKey.objects.get(pk=key.pk).status == "completed"
    assert_invariants()


@postgres_only
def test_refund_payment_killed_after_razorpay_answered_then_rerun_with_its_key_refunds_once(
    sim, initiate
):
    body = initiate(externalRef="cmd-crash").json()
    paid = APIClient().post("/payments/confirm", sim.pay(body["razorpayOrderId"]), format="json")
    razorpay_payment_id = paid.json()["razorpayPaymentId"]
    at_razorpay = lambda: get_gateway().payment_refunds(razorpay_payment_id)  # noqa: E731
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "RAZORPAY_API_BASE_URL": sim.url,
        "RAZORPAY_TEST_KEY_ID": SIM_KEY_ID,
        "RAZORPAY_TEST_SECRET_KEY": SIM_KEY_SECRET,
        **LONG_LEASE,
    }
    command = [sys.executable, "manage.py", "refund_payment", body["id"], "--amount", "400"]
    crashed = subprocess.Popen(
        [*command, "--yes"],
        cwd=ROOT,
        env={**env, "CRASH_POINTS": "refund.sent"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = iter(crashed.stdout.readline, "")  # until the process ends, if it does
        printed = next(line for line in lines if line.startswith("Idempotency key "))
        key = printed.split()[2]
        wait_until(at_razorpay, timeout=20, what="Razorpay to make the command's refund")
    finally:
        crashed.kill()
        crashed.wait(timeout=10)
    refund = Refund.objects.get()
    assert refund.razorpay_refund_id is None  # killed before it recorded Razorpay's answer

    _lease_lapses()
    rerun = subprocess.run(
        [*command, "--yes", "--idempotency-key", key],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"Refund {refund.id}: " in rerun.stdout, rerun.stdout  # resumed, not a second one
    again = subprocess.run(  # a third run: the key has its answer now
        [*command, "--yes", "--idempotency-key", key],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert f"Already asked with this key: refund {refund.id}" in again.stdout, again.stdout
    assert [r.notes["refund_id"] for r in at_razorpay()] == [refund.id]
    assert Refund.objects.count() == 1
    assert_invariants()


@postgres_only
def test_approval_killed_before_its_send_is_sent_once_by_the_settle_chore(sim, initiate, settings):
    """A real process approves a refund and is SIGKILLed right after the approval committed,
    before Razorpay was asked: the settle chore sends it under its own key, once."""
    from backoffice.chores import chore_execute, chores_ensure
    from refunds.services import refund_create_keyed

    body = initiate(externalRef="approve-crash").json()
    APIClient().post("/payments/confirm", sim.pay(body["razorpayOrderId"]), format="json")
    settings.REFUND_APPROVAL_THRESHOLD = {"INR": 500}
    refund = refund_create_keyed(
        key="t1",
        payment=Payment.objects.get(pk=body["id"]),
        amount=800,
        reason="big",
        requested_by="user:fiona",
        source="admin",
    )
    assert refund.status == "awaiting_approval"
    razorpay_payment_id = Payment.objects.get(pk=body["id"]).razorpay_payment_id
    at_razorpay = lambda: get_gateway().payment_refunds(razorpay_payment_id)  # noqa: E731
    approve = (
        "from refunds.services import refund_approve; "
        f"refund_approve(refund_id={refund.id!r}, approver='user:omar', reason='checked')"
    )
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "RAZORPAY_API_BASE_URL": sim.url,
        "RAZORPAY_TEST_KEY_ID": SIM_KEY_ID,
        "RAZORPAY_TEST_SECRET_KEY": SIM_KEY_SECRET,
        "CRASH_POINTS": "refund.approved",
    }
    approver = subprocess.Popen(  # our own manage.py, fixed arguments
        [sys.executable, "manage.py", "shell", "-c", approve],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: Refund.objects.filter(pk=refund.pk, status="pending").exists(),
            timeout=30,
            what="the approval to commit",
        )
    finally:
        approver.kill()  # SIGKILL, stalled at the crash point: the send never happens
        approver.wait(timeout=10)
    assert Refund.objects.get(pk=refund.pk).razorpay_refund_id is None
    assert at_razorpay() == []

    settings.CHORE_SETTLE_REFUNDS_AFTER_SECONDS = 0
    chores_ensure()
    chore_execute(name="settle_refunds")
    chore_execute(name="settle_refunds")
    assert [r.notes["refund_id"] for r in at_razorpay()] == [refund.id]
    assert Refund.objects.count() == 1
    assert_invariants()
