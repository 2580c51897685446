"""The service process killed (SIGKILL) while an initiate waits on Razorpay: after a restart,
the client's retry with the same Idempotency-Key ends with one payment and one order."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import SIM_KEY_ID, SIM_KEY_SECRET, SIM_WEBHOOK_SECRET
from payments.models import Payment
from payments_service.integrations.razorpay import get_gateway
from payments_service.models import IdempotencyKey
from reliability.clients import ShopClient, retry_while_in_flight
from reliability.invariants import assert_invariants
from reliability.servers import ServiceProcess
from reliability.waiting import wait_until

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

    def start(name: str) -> ServiceProcess:
        env = {
            "ENVIRONMENT": "development",
            "RAZORPAY_API_BASE_URL": sim.url,
            "RAZORPAY_TEST_KEY_ID": SIM_KEY_ID,
            "RAZORPAY_TEST_SECRET_KEY": SIM_KEY_SECRET,
            "RAZORPAY_WEBHOOK_SECRET": SIM_WEBHOOK_SECRET,
            "RAZORPAY_READ_TIMEOUT": "10",
            "IDEMPOTENCY_LOCK_SECONDS": str(LEASE_SECONDS),
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
        time.sleep(1)  # the row commits just before the order request leaves: let it arrive
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
