"""Two service processes, one PostgreSQL database and one Redis: what holds on one instance
holds across instances, because it rests on the shared database and cache, not on memory."""

import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from clients.services import client_app_create
from conftest import INITIATE_BODY, SIM_KEY_ID, SIM_KEY_SECRET, SIM_WEBHOOK_SECRET
from payments.models import Payment, PaymentStatusChange
from payments_service.integrations.razorpay import get_gateway
from payments_service.tests.servers import Gunicorn
from webhooks.models import WebhookEvent
from webhooks.tests.events import event, payment_entity, sign

RATE_LIMIT = 20  # per client app and day: a window that no test run straddles


def needs_postgres_and_redis():
    """Skip (with the reason) without both; in CI, fail instead."""
    database, cache = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if database.startswith(("postgres://", "postgresql://")) and cache.startswith("redis"):
        return pytest.mark.skipif(False, reason="")
    if os.environ.get("CI") == "true":
        raise RuntimeError(
            "CI must run the scale-out test: set a PostgreSQL DATABASE_URL and REDIS_URL"
        )
    return pytest.mark.skip(
        reason="needs PostgreSQL and Redis: DATABASE_URL=postgresql://…, REDIS_URL=redis://…"
    )


pytestmark = [
    needs_postgres_and_redis(),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def instances(django_db_setup, simulator, tmp_path_factory):
    """Two gunicorn processes on the test database, the shared Redis and the simulator."""
    env = {
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "8",
        "RAZORPAY_API_BASE_URL": simulator.url,
        "RAZORPAY_TEST_KEY_ID": SIM_KEY_ID,
        "RAZORPAY_TEST_SECRET_KEY": SIM_KEY_SECRET,
        "RAZORPAY_WEBHOOK_SECRET": SIM_WEBHOOK_SECRET,
        "RATE_LIMIT_CLIENT_APP": f"{RATE_LIMIT}/d",
    }
    logs = tmp_path_factory.mktemp("instances")
    servers = [Gunicorn(logs / f"instance-{i}.log", **env) for i in (1, 2)]
    try:
        yield [server.wait_ready() for server in servers]
    finally:
        for server in servers:
            server.stop()


def spread(instances, count: int, send) -> list[requests.Response]:
    """`count` requests at once, alternating between the instances."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda i: send(instances[i % len(instances)].url), range(count)))


def test_identical_initiates_over_two_instances_make_one_payment(instances, client_app, razorpay):
    razorpay.faults(latency_ms=300, paths=["/v1/orders"])
    headers = {"Authorization": f"Bearer {client_app.api_key}", "Idempotency-Key": "burst-1"}

    def initiate(url):
        return requests.post(
            f"{url}/payments/initiate", json=INITIATE_BODY, headers=headers, timeout=30
        )

    responses = spread(instances, 12, initiate)

    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    created = [r for r in responses if r.status_code == 201]
    assert len([r for r in created if "Idempotent-Replayed" not in r.headers]) == 1
    assert all(r.headers.get("Retry-After") for r in responses if r.status_code == 409)
    payment = Payment.objects.get(client_app=client_app)
    assert {r.json()["id"] for r in created} == {payment.id}
    assert len(get_gateway().find_orders_by_receipt(payment.receipt)) == 1
    replay = initiate(instances[1].url)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == payment.id


def test_one_event_delivered_to_both_instances_is_applied_once(instances, client_app, razorpay):
    auth = {"Authorization": f"Bearer {client_app.api_key}", "Idempotency-Key": "k"}
    answer = requests.post(
        f"{instances[0].url}/payments/initiate", json=INITIATE_BODY, headers=auth, timeout=30
    )
    order_id = answer.json()["razorpayOrderId"]
    paid = razorpay.pay(order_id, outcome="captured")
    entity = payment_entity(order_id=order_id, payment_id=paid["razorpay_payment_id"])
    body = json.dumps(event("payment.captured", entity)).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": sign(body),
        "X-Razorpay-Event-Id": "evt_ScaleOut0001",
    }

    def deliver(url):
        return requests.post(f"{url}/webhooks/razorpay", data=body, headers=headers, timeout=30)

    responses = spread(instances, 16, deliver)

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert {r.json()["status"] for r in responses} == {"processed"}
    stored = WebhookEvent.objects.get()
    assert (stored.event_id, stored.attempts) == ("evt_ScaleOut0001", 1)
    payment = Payment.objects.get(pk=answer.json()["id"])
    assert payment.status == "captured"
    assert PaymentStatusChange.objects.filter(payment=payment, to_status="captured").count() == 1


def test_the_rate_limit_counts_requests_to_both_instances_together(instances, db):
    _, key = client_app_create(name="limited")
    headers = {"Authorization": f"Bearer {key}"}

    def list_payments(url):
        return requests.get(f"{url}/payments", headers=headers, timeout=30)

    responses = spread(instances, RATE_LIMIT + 10, list_payments)

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == RATE_LIMIT, statuses
    assert statuses.count(429) == 10, statuses
    assert all(int(r.headers["Retry-After"]) >= 1 for r in responses if r.status_code == 429)
