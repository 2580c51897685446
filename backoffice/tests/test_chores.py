"""The chores in one process: claimed once, run through the task queue, recorded, re-run after
their worker died; the admin shows them and finance can run one now. (Real worker processes,
killed and doubled, are in test_worker.py.)"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from backoffice.chores import CHORES, ChoreKind, chores_enqueue_due, chores_ensure
from backoffice.models import Chore, ChoreRun, ReconciliationReport
from payments.models import Source
from payments_service.clock import now
from refunds.models import Refund
from refunds.services import refund_create
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

CHORES_URL = "/admin/backoffice/chore/"


@pytest.fixture
def lost_answer_refund(paid, razorpay, settings):
    """Makes pending refunds of `paid` whose request Razorpay swallowed (a timeout)."""

    def make() -> Refund:
        settings.RAZORPAY_READ_TIMEOUT = 0.3
        razorpay.faults(timeout_rate=1, hang_seconds=1, paths=["/v1/payments"], methods=["POST"])
        refund = refund_create(
            payment_id=paid.id, amount=100, requested_by="test", source=Source.ADMIN
        )
        razorpay.faults()
        settings.RAZORPAY_READ_TIMEOUT = 5
        return refund

    return make


def due_now(*names: str) -> None:
    chores_ensure()
    Chore.objects.exclude(name__in=names).update(next_run_at=now() + timedelta(days=1))
    Chore.objects.filter(name__in=names).update(next_run_at=now())


def test_a_due_chore_is_claimed_once_and_its_run_sets_the_next_one(queued_tasks, settings):
    settings.CHORE_INTERVALS = {**settings.CHORE_INTERVALS, "purge": 600}
    due_now("purge")
    assert chores_enqueue_due() == ["purge"]
    assert chores_enqueue_due() == []  # held: another scheduler's tick claims nothing
    assert queued_tasks.names() == ["backoffice.chores.chore_task"]
    assert queued_tasks.run() == 1

    chore = Chore.objects.get(pk="purge")
    assert chore.lease_until is None and chore.last_outcome == "ok"
    assert "idempotency key(s)" in chore.last_detail
    assert (
        timedelta(seconds=599)
        < chore.next_run_at - chore.last_finished_at
        <= timedelta(seconds=600)
    )
    assert chores_enqueue_due() == []  # not due again before its interval


def test_a_chore_whose_worker_died_is_enqueued_again_once_its_lease_lapses(queued_tasks):
    due_now("purge")
    chores_enqueue_due()
    # Its worker took the task and died mid-run: the run is recorded, the lease still held.
    ChoreRun.objects.create(chore_id="purge", worker="dead:1", started_at=now())
    DBTaskResult.objects.update(status="RUNNING")  # what the database backend leaves behind
    assert chores_enqueue_due() == []  # while its lease runs, nobody takes it

    Chore.objects.filter(pk="purge").update(lease_until=now() - timedelta(seconds=1))
    assert chores_enqueue_due() == ["purge"]
    assert queued_tasks.run() == 1
    assert ChoreRun.objects.get(worker="dead:1").outcome == "abandoned"
    assert ChoreRun.objects.exclude(worker="dead:1").get().outcome == "ok"


def test_a_failing_chore_is_recorded_failed_and_runs_again_next_interval(queued_tasks, monkeypatch):
    def broken() -> str:
        raise ValueError("reconcile broke")

    monkeypatch.setitem(CHORES, "reconcile", ChoreKind("reconcile", broken))
    due_now("reconcile")
    chores_enqueue_due()
    queued_tasks.run()
    chore = Chore.objects.get(pk="reconcile")
    assert (chore.last_outcome, chore.last_detail) == ("failed", "ValueError: reconcile broke")
    assert chore.lease_until is None and chore.next_run_at > now()
    assert ChoreRun.objects.get().outcome == "failed"


def test_settle_refunds_settles_only_refunds_pending_longer_than_its_age(
    lost_answer_refund, queued_tasks
):
    old, young = lost_answer_refund(), lost_answer_refund()
    Refund.objects.filter(pk=old.pk).update(created_at=now() - timedelta(minutes=2))
    due_now("settle_refunds")
    chores_enqueue_due()
    queued_tasks.run()
    old.refresh_from_db()
    young.refresh_from_db()
    assert old.razorpay_refund_id and young.razorpay_refund_id is None
    assert "1 " in Chore.objects.get(pk="settle_refunds").last_detail


def test_retry_webhooks_reruns_failures_of_ours_only(queued_tasks):
    long_ago = now() - timedelta(hours=1)
    ours = WebhookEvent.objects.create(
        event_id="evt_ours", event_type="x", body="{}", status="failed", traceback="KeyError"
    )
    theirs = WebhookEvent.objects.create(
        event_id="evt_theirs", event_type="y", body="{}", status="failed", last_error="mismatch"
    )
    WebhookEvent.objects.update(received_at=long_ago)
    due_now("retry_webhooks")
    chores_enqueue_due()
    queued_tasks.run()
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.attempts > theirs.attempts
    assert "1 " in Chore.objects.get(pk="retry_webhooks").last_detail


def test_reconcile_chore_stores_the_last_days_report(paid, queued_tasks):
    due_now("reconcile")
    chores_enqueue_due()
    queued_tasks.run()
    report = ReconciliationReport.objects.get()
    assert report.requested_by == "chore" and report.payments_checked == 1
    assert report.until - report.since == timedelta(days=1)


def test_commands_still_run_each_chore_for_on_call(paid, capsys):
    call_command("sync_refunds")
    call_command("process_webhooks", "--failed")
    call_command("purge_idempotency_keys")
    assert "checked 0" in capsys.readouterr().out


def test_the_admin_lists_the_chores_and_finance_runs_one_now(finance, support, queued_tasks):
    chores_ensure()
    Chore.objects.update(next_run_at=now() + timedelta(hours=1))
    page = finance.get(CHORES_URL).content.decode()
    assert all(name in page for name in CHORES)
    assert "settle refunds pending longer than a minute" in page

    support.post(CHORES_URL, {"action": "run_now", "_selected_action": ["purge"]})
    assert queued_tasks.names() == []  # support may look, not run
    done = finance.post(
        CHORES_URL, {"action": "run_now", "_selected_action": ["purge"]}, follow=True
    )
    assert "purge: queued" in done.content.decode().lower()
    assert queued_tasks.run() == 1
    assert Chore.objects.get(pk="purge").last_outcome == "ok"
    again = finance.get(f"{CHORES_URL}purge/change/").content.decode()
    assert "idempotency key(s)" in again  # the run, in its history
