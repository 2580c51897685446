"""Event deliveries by real `manage.py worker` processes on PostgreSQL: a receiver that is
down for a while gets every event once it is back; a worker SIGKILLed while a slow receiver
holds its POST leaves the delivery to another, which delivers it with the same webhook-id;
two workers send each event once."""

import pytest

from notifications.models import Delivery
from notifications.services import event_record, webhook_endpoint_create
from notifications.tests.receiver import Receiver
from reliability.servers import WorkerProcess
from reliability.waiting import wait_until

from .conftest import postgres_only

pytestmark = [
    postgres_only,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def workers(tmp_path):
    started: list[WorkerProcess] = []

    def start(name: str, **env: str) -> WorkerProcess:
        process = WorkerProcess(
            tmp_path,
            name,
            {
                "ENVIRONMENT": "development",
                "WORKER_POLL_SECONDS": "0.1",
                "CHORE_SETTLE_REFUNDS_INTERVAL": "1h",
                "CHORE_RETRY_WEBHOOKS_INTERVAL": "1h",
                "CHORE_RECONCILE_INTERVAL": "1h",
                "CHORE_PURGE_INTERVAL": "1h",
                "NOTIFY_RETRY_SCHEDULE": "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s",
                **env,
            },
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


def record(client_app, n: int):
    return event_record(
        client_app=client_app,
        type="payment.captured",
        object_id=f"pmt_{n}",
        data={"n": n},
        actor="razorpay",
    )


def test_a_receiver_down_for_a_while_gets_everything_once_it_is_back(client_app, receiver, workers):
    _, secret = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    receiver.up = False
    workers("first")
    workers("second")
    events = [record(client_app, n) for n in range(6)]
    wait_until(
        lambda: Delivery.objects.filter(attempts__gte=2).count() == 6,
        timeout=30,
        what="every delivery to fail twice while the receiver is down",
    )
    assert not Delivery.objects.filter(status="delivered").exists()

    receiver.up = True
    wait_until(
        lambda: Delivery.objects.filter(status="delivered").count() == 6,
        timeout=30,
        what="every delivery to arrive once the receiver is back",
    )
    got = {r.headers["webhook-id"]: r.verified(secret) for r in receiver.received()}
    assert sorted(got) == sorted(event.id for event in events)
    assert len(receiver.received()) == 6  # each once: two workers, never the same one twice
    assert sorted(body["data"]["n"] for body in got.values()) == list(range(6))


def test_a_worker_killed_during_a_delivery_leaves_it_delivered_later_with_the_same_id(
    client_app, receiver, workers
):
    _, secret = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    receiver.delay = 30  # slow: the POST is still waiting when the worker is killed
    lease = {"NOTIFY_LEASE": "4s", "NOTIFY_TIMEOUT": "3"}
    doomed = workers("doomed", **lease)
    event = record(client_app, 1)
    wait_until(lambda: receiver.received(), timeout=30, what="the POST to reach the receiver")
    doomed.kill()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1

    receiver.delay = 0
    workers("heir", **lease)
    wait_until(
        lambda: Delivery.objects.filter(status="delivered").exists(),
        timeout=30,
        what="another worker to deliver it once the lease lapsed",
    )
    first, *later = receiver.received()
    assert later, "delivered again"
    assert {r.headers["webhook-id"] for r in [first, *later]} == {event.id}
    assert later[-1].verified(secret)["id"] == event.id
    delivery.refresh_from_db()
    attempts = list(delivery.attempts_made.order_by("started_at"))
    assert attempts[0].status_code is None and attempts[0].error == ""  # cut short
    assert attempts[-1].status_code == 200
