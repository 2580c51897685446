"""The worker's chores: recurring jobs run on time, each once across every worker.

A chore's state is its `Chore` row. The scheduler (in every `manage.py worker`) claims each due
chore whose lease is free or lapsed with one conditional UPDATE, so only one worker wins it,
and enqueues its task in that same transaction: a crash between the two loses nothing. The
task runs the chore and sets its next due time. A worker killed mid-chore leaves the lease,
which lapses after `CHORE_LEASE`; the next claim marks the dead run abandoned and runs the chore
again (every chore is safe to repeat).
"""

import logging
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django_tasks import task

from clients.idempotency import idempotency_purge_expired
from notifications.services import event_purge_expired
from payments.models import Source
from payments_service.clock import now
from payments_service.crashpoints import crash_point
from refunds.services import refund_expire_unapproved, refund_sync_unsettled
from webhooks.services import webhook_events_to_retry, webhook_process, webhook_purge_rejected

from .dashboard import day_summaries_refresh
from .models import Chore, ChoreRun, ReconciliationReport
from .reconcile import reconcile_store

logger = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()[:40]}:{os.getpid()}"


def _summary(counts: Counter) -> str:
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing to do"


def _settle_refunds() -> str:
    """Refunds still pending a while after they were made: a lost answer, a missed webhook.
    (`sync_refunds` settles every pending refund, whatever its age.)"""
    before = now() - timedelta(seconds=settings.CHORE_SETTLE_REFUNDS_AFTER_SECONDS)
    counts = Counter(
        problem.code if problem else refund.status
        for refund, problem in refund_sync_unsettled(source=Source.CHORE, before=before)
    )
    return _summary(counts)


def _expire_refund_approvals() -> str:
    """Four-eyes refunds nobody approved within `REFUND_APPROVAL_TTL`: failed, amount freed."""
    return f"{refund_expire_unapproved(source=Source.CHORE)} refund(s) expired unapproved"


def _retry_webhooks() -> str:
    """Events whose processing was interrupted, or failed on an error of ours (a bug since
    fixed, the database away): applying one again changes nothing if it was applied."""
    before = now() - timedelta(minutes=1)  # younger ones may still be in their request
    counts = Counter()
    for pk in webhook_events_to_retry(failed=True, ours_only=True, before=before):
        try:
            counts[webhook_process(event_pk=pk).status] += 1
        except Exception:  # kept on the event with its traceback; go on with the others
            logger.exception("webhook event %s failed again", pk)
            counts["error"] += 1
    return _summary(counts)


def _reconcile() -> str:
    until = now()
    report = reconcile_store(
        since=until - timedelta(days=1), until=until, fix=False, requested_by="chore"
    )
    return f"{report.payments_checked} payment(s), {len(report.mismatches)} mismatch(es)"


def _purge() -> str:
    runs_before = now() - timedelta(days=settings.CHORE_HISTORY_DAYS)
    runs, _ = ChoreRun.objects.filter(started_at__lt=runs_before).delete()
    reports, _ = ReconciliationReport.objects.filter(created_at__lt=runs_before).delete()
    events = event_purge_expired(before=now() - timedelta(days=settings.EVENT_RETENTION_DAYS))
    return (
        f"{idempotency_purge_expired()} idempotency key(s), "
        f"{webhook_purge_rejected()} rejected delivery(ies), {events} event(s), "
        f"{runs} chore run(s), {reports} reconciliation report(s)"
    )


@dataclass(frozen=True)
class ChoreKind:
    description: str
    run: Callable[[], str]  # does the work and says what it did


CHORES = {
    "settle_refunds": ChoreKind("settle refunds pending longer than a minute", _settle_refunds),
    "retry_webhooks": ChoreKind("re-run webhook events that failed on our side", _retry_webhooks),
    "reconcile": ChoreKind("reconcile the last day with Razorpay and store the report", _reconcile),
    "purge": ChoreKind(
        "purge expired idempotency keys and events, old rejected deliveries", _purge
    ),
    "expire_refund_approvals": ChoreKind(
        "fail refunds left awaiting approval past REFUND_APPROVAL_TTL", _expire_refund_approvals
    ),
    "summarise_days": ChoreKind(
        "count the dashboard's figures of the last 30 days: new days, and days changed since",
        day_summaries_refresh,
    ),
}


def chores_ensure() -> None:
    """A row for every chore, due at once when new."""
    for name in CHORES:
        Chore.objects.get_or_create(name=name, defaults={"next_run_at": now()})


def chores_enqueue_due() -> list[str]:
    """The scheduler's tick: claims and enqueues every due chore nobody holds."""
    current = now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=current)
    due = Chore.objects.filter(free, next_run_at__lte=current, name__in=CHORES)
    return [chore.name for chore in due if _claim(chore, current)]


def chore_run_now(*, name: str) -> bool:
    """The admin's "run now": due at once, and enqueued unless a run already holds it."""
    current = now()
    Chore.objects.filter(pk=name).update(next_run_at=current)
    chore = Chore.objects.get(pk=name)
    held = chore.lease_until is not None and chore.lease_until >= current
    return not held and _claim(chore, current)


def _claim(chore: Chore, current: datetime) -> bool:
    with transaction.atomic():
        won = Chore.objects.filter(pk=chore.pk, lease_until=chore.lease_until).update(
            lease_until=current + timedelta(seconds=settings.CHORE_LEASE_SECONDS)
        )
        if not won:  # another worker's scheduler claimed it first
            return False
        if chore.lease_until is not None:  # the lease lapsed: the run holding it died
            ChoreRun.objects.filter(chore=chore, outcome=ChoreRun.Outcome.RUNNING).update(
                outcome=ChoreRun.Outcome.ABANDONED, finished_at=current
            )
            logger.warning("chore %s: the run holding it died; enqueued again", chore.name)
        chore_task.enqueue(chore.name)
    return True


@task()
def chore_task(name: str) -> str:
    return chore_execute(name=name)


def chore_execute(*, name: str) -> str:
    """Runs one chore now and records it (the task; tests)."""
    started = now()
    run = ChoreRun.objects.create(chore_id=name, worker=WORKER_ID, started_at=started)
    Chore.objects.filter(pk=name).update(last_started_at=started)
    crash_point(f"chore.{name}")
    try:
        detail, outcome = CHORES[name].run(), ChoreRun.Outcome.OK
    except Exception as exc:
        logger.exception("chore %s failed", name)
        detail, outcome = f"{type(exc).__name__}: {exc}", ChoreRun.Outcome.FAILED
    finished = now()
    ChoreRun.objects.filter(pk=run.pk).update(finished_at=finished, outcome=outcome, detail=detail)
    Chore.objects.filter(pk=name).update(
        last_finished_at=finished,
        last_outcome=outcome,
        last_detail=detail,
        next_run_at=finished + timedelta(seconds=settings.CHORE_INTERVALS[name]),
        lease_until=None,
    )
    logger.info("chore %s: %s (%s)", name, outcome, detail)
    return detail


@task()
def reconcile_task(*, since: str, until: str, fix: bool, requested_by: str) -> int:
    """An operator's reconciliation (a window, or the fix), run by the worker: the admin page
    shows its stored report and never calls Razorpay itself."""
    report = reconcile_store(
        since=datetime.fromisoformat(since),
        until=datetime.fromisoformat(until),
        fix=fix,
        requested_by=requested_by,
    )
    return report.pk
