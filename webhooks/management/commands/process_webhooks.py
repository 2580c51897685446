"""Applies stored webhook events again: those left pending (interrupted) and, with --failed,
those that failed. Safe to run at any time: applying an event twice changes nothing."""

from django.core.management.base import BaseCommand

from payments_service.commands import parse_moment
from webhooks.services import webhook_events_to_retry, webhook_process


class Command(BaseCommand):
    help = "Process pending webhook events (and failed ones with --failed)."

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="also retry failed events")
        parser.add_argument("--since", help="only events received since DATE or DATETIME")

    def handle(self, *args, failed, since, **options):
        since = parse_moment(since, "--since") if since else None
        events = webhook_events_to_retry(failed=failed, since=since)
        counts: dict[str, int] = {}
        for pk in events:
            try:
                status = webhook_process(event_pk=pk).status
            except Exception as exc:  # saved on the event; go on with the others
                status = "error"
                self.stderr.write(f"event {pk}: {exc}")
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing"
        self.stdout.write(f"Processed webhook events: {summary}.")
