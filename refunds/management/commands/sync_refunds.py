"""Settles pending refunds from Razorpay (lost answers, missed webhooks). Safe to run often."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from payments.models import Source
from payments_service.commands import parse_moment
from payments_service.problems import ProblemError
from refunds import selectors, services


class Command(BaseCommand):
    help = "Ask Razorpay about every pending refund and settle it; print a summary."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only refunds created since (YYYY-MM-DD or ISO 8601)")

    def handle(self, *args, since, **options):
        since = parse_moment(since, "--since") if since else None
        counts = Counter()
        for refund in selectors.refund_list_unsettled(since=since):
            counts["checked"] += 1
            try:
                refund = services.refund_sync(refund=refund, source=Source.COMMAND)
            except ProblemError as exc:  # one refund's trouble must not stop the others
                counts["errors"] += 1
                self.stderr.write(f"{refund.id}: {exc.code}: {exc.detail}")
                continue
            counts[refund.status] += 1
            if refund.is_final:
                self.stdout.write(f"{refund.id}: {refund.status}")
        self.stdout.write(
            f"checked {counts['checked']}, processed {counts['processed']}, "
            f"failed {counts['failed']}, still pending {counts['pending']}, "
            f"errors {counts['errors']}"
        )
        if counts["errors"]:
            raise CommandError(f"{counts['errors']} refund(s) could not be synced; see above.")
