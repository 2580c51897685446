"""`manage.py worker` as real processes on PostgreSQL: two of them run each chore once per
interval; one killed (SIGKILL) mid-chore leaves it to another, which finishes it once; a
refund left pending by a gateway timeout settles with no command run."""

from itertools import pairwise

import pytest

from backoffice.models import Chore, ChoreRun
from conftest import SIM_KEY_ID, SIM_KEY_SECRET, SIM_WEBHOOK_SECRET
from refunds.models import Refund
from reliability.servers import WorkerProcess
from reliability.waiting import wait_until

from .conftest import postgres_only

pytestmark = [
    postgres_only,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]

HOUR = "1h"


@pytest.fixture
def workers(sim, tmp_path):
    """Starts `manage.py worker` processes on the test database and the simulator, chores
    every hour unless the test says otherwise; all are stopped at the end."""
    started: list[WorkerProcess] = []

    def start(name: str, **env: str) -> WorkerProcess:
        process = WorkerProcess(
            tmp_path,
            name,
            {
                "ENVIRONMENT": "development",
                "RAZORPAY_API_BASE_URL": sim.url,
                "RAZORPAY_TEST_KEY_ID": SIM_KEY_ID,
                "RAZORPAY_TEST_SECRET_KEY": SIM_KEY_SECRET,
                "RAZORPAY_WEBHOOK_SECRET": SIM_WEBHOOK_SECRET,
                "WORKER_POLL_SECONDS": "0.1",
                "CHORE_SETTLE_REFUNDS_INTERVAL": HOUR,
                "CHORE_RETRY_WEBHOOKS_INTERVAL": HOUR,
                "CHORE_RECONCILE_INTERVAL": HOUR,
                "CHORE_PURGE_INTERVAL": HOUR,
                **env,
            },
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


def runs_of(name: str) -> list[ChoreRun]:
    return list(ChoreRun.objects.filter(chore_id=name).order_by("started_at"))


def test_two_workers_run_each_chore_once_per_interval(workers):
    every = {"CHORE_PURGE_INTERVAL": "2s", "CHORE_SETTLE_REFUNDS_INTERVAL": "2s"}
    first, second = workers("first", **every), workers("second", **every)
    wait_until(lambda: len(runs_of("purge")) >= 4, timeout=30, what="four runs of purge")
    first.stop()
    second.stop()

    for name in ("purge", "settle_refunds"):
        runs = runs_of(name)
        assert {run.outcome for run in runs} == {"ok"}, [(r.outcome, r.detail) for r in runs]
        for earlier, later in pairwise(runs):
            assert later.started_at >= earlier.finished_at  # never two at once
            # once per interval: the next run is due 2 s after the last one finished
            assert (later.started_at - earlier.finished_at).total_seconds() >= 1.9
    # the hourly chores ran once at start, by one of the two
    assert len(runs_of("reconcile")) == len(runs_of("retry_webhooks")) == 1
    pids = {str(first.process.pid), str(second.process.pid)}
    assert {run.worker.rsplit(":", 1)[1] for run in ChoreRun.objects.all()} <= pids


# purge deletes; summarise_days writes every day's summary in one transaction, so a kill leaves
# none half-written and the heir counts them all again.
@pytest.mark.parametrize("doomed_chore", ["purge", "summarise_days"])
def test_a_worker_killed_mid_chore_leaves_it_to_another_which_finishes_it_once(
    workers, doomed_chore
):
    lease = {"CHORE_LEASE": "3s"}
    doomed = workers("doomed", CRASH_POINTS=f"chore.{doomed_chore}", **lease)
    wait_until(
        lambda: ChoreRun.objects.filter(chore_id=doomed_chore, outcome="running").exists(),
        timeout=30,
        what=f"the doomed worker to start {doomed_chore}",
    )
    doomed.kill()
    assert Chore.objects.get(pk=doomed_chore).last_outcome == ""  # it never finished

    workers("heir", **lease)
    chore = wait_until(
        lambda: Chore.objects.filter(pk=doomed_chore, last_outcome="ok").first(),
        timeout=30,
        what=f"another worker to finish {doomed_chore} once the lease lapsed",
    )
    assert [run.outcome for run in runs_of(doomed_chore)] == ["abandoned", "ok"]
    assert chore.lease_until is None
    others = {"purge", "reconcile", "retry_webhooks", "settle_refunds", "summarise_days"}
    for name in sorted(others - {doomed_chore}):
        assert [run.outcome for run in runs_of(name)] == ["ok"], name


def test_a_refund_left_pending_by_a_gateway_timeout_settles_on_its_own(workers, shop, sim, faults):
    payment = shop.initiate(key="k-1", externalRef="worker-1").json()
    assert shop.confirm(sim.pay(payment["razorpayOrderId"])).status_code == 200
    faults(timeout_rate=1, hang_seconds=1, paths=["/v1/payments"], methods=["POST"])
    refund = shop.refund(payment["id"], key="r-1", amount=400).json()
    assert (refund["status"], refund["razorpayRefundId"]) == ("pending", None)
    faults.end()

    workers(
        "worker",
        CHORE_SETTLE_REFUNDS_INTERVAL="1s",
        CHORE_SETTLE_REFUNDS_AFTER="1s",
    )
    settled = wait_until(
        lambda: Refund.objects.filter(pk=refund["id"], status="processed").first(),
        timeout=30,
        what="the settle_refunds chore to settle the refund",
    )
    assert settled.razorpay_refund_id
    assert shop.payment(payment["id"]).json()["amountRefunded"] == 400
