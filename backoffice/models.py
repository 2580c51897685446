"""The chores' state and the reconciliation reports they store: the truth the admin shows.

Tasks on the queue are only triggers. A chore's due time and lease live here, so a worker that
dies mid-chore (its task left `RUNNING` forever by the database backend) only delays the chore
until its lease lapses and the scheduler enqueues it again.
"""

from django.db import models


class Chore(models.Model):
    """One recurring job of the worker (`backoffice.chores.CHORES` names them)."""

    name = models.CharField(primary_key=True, max_length=64)
    next_run_at = models.DateTimeField(help_text="Due from then on.")
    # Held from the moment a run is enqueued until it finishes; a lapsed lease means the worker
    # running it died, and the scheduler enqueues the chore again.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=16, blank=True, help_text="ok or failed.")
    last_detail = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [("run_chore", "Can run a chore now")]

    def __str__(self) -> str:
        return self.name


class ChoreRun(models.Model):
    """One run of a chore, as the worker that ran it recorded it."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "running"  # started; still running, or its worker died
        OK = "ok", "ok"
        FAILED = "failed", "failed"  # raised: see detail (logged with its traceback)
        ABANDONED = "abandoned", "abandoned"  # its worker died; a later run did the work

    chore = models.ForeignKey(Chore, on_delete=models.CASCADE, related_name="runs")
    worker = models.CharField(max_length=64, help_text="host:pid of the worker.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["chore", "outcome"])]

    def __str__(self) -> str:
        return f"{self.chore_id} {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"


class ReconciliationReport(models.Model):
    """What one reconciliation found (and fixed), kept so the admin never asks Razorpay."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    since = models.DateTimeField()
    until = models.DateTimeField()
    fix = models.BooleanField(default=False, help_text="Whether Razorpay's truth was applied.")
    requested_by = models.CharField(max_length=150, help_text='"chore" or the staff user.')
    payments_checked = models.PositiveIntegerField(default=0)
    # [{"kind", "subject", "detail", "fixable", "fixed"}]: each difference with its evidence.
    mismatches = models.JSONField(default=list)
    # [{"day", "currency", "captured", "refunded"}], minor units.
    totals = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"reconciliation {self.since:%Y-%m-%d %H:%M} to {self.until:%Y-%m-%d %H:%M}"

    @property
    def unresolved(self) -> list[dict]:
        return [m for m in self.mismatches if not m["fixed"]]


class DaySummary(models.Model):
    """What one whole UTC day adds to the dashboard's figures, kept by the `summarise_days`
    chore so that a 7- or 30-day window reads a row a day instead of every payment in it.

    Counted as the live figures count them (`backoffice.dashboard`): payments, refunds and
    failed attempts by the day they were made; a tried payment by the day of its latest
    attempt (one day each, so days add up to the window's "had an attempt in it"). Trusted for
    changes made before `checked_at` only: the dashboard counts a day changed since live.
    """

    day = models.DateField(primary_key=True)
    # {currency: {"payments", "paid", "volume", "tried", "tried_paid", "refunds", "refunded"}};
    # minor units; a currency nothing happened in is left out.
    currencies = models.JSONField(default=dict)
    failures = models.JSONField(default=dict)  # {Razorpay's error reason: failed attempts}
    # {a webhook event's lag as the dashboard shows it ("3.2"): events received with it}; a
    # lag is stored once, on receipt, so a past day's never changes.
    lags = models.JSONField(default=dict)
    checked_at = models.DateTimeField(help_text="Nothing written to the day before then is missed.")

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"summary of {self.day:%Y-%m-%d}"
