"""Settles pending refunds from Razorpay (lost answers, missed webhooks). Safe to run often."""

from collections import Counter

from django.core.management.base import CommandError

from audit.commands import AuditedCommand
from audit.models import Action
from payments.models import Source
from payments_service.commands import parse_moment
from refunds import services


class Command(AuditedCommand):
    help = "Ask Razorpay about every pending refund and settle it; print a summary."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only refunds created since (YYYY-MM-DD or ISO 8601)")
        super().add_arguments(parser)

    def handle(self, *args, since, **options):
        since = parse_moment(since, "--since") if since else None
        counts = Counter()
        for refund, problem in services.refund_sync_unsettled(source=Source.COMMAND, since=since):
            counts["checked"] += 1
            if problem is not None:
                counts["errors"] += 1
                self.stderr.write(f"{refund.id}: {problem.code}: {problem.detail}")
                continue
            counts[refund.status] += 1
            if refund.is_final:
                self.stdout.write(f"{refund.id}: {refund.status}")
                # Settled by this run: the refund's payment's timeline says who ran it.
                self.audit(
                    options,
                    action=Action.REFUND_SYNC,
                    object_type="payment",
                    object_id=refund.payment_id,
                    detail=f"refund {refund.id} {refund.status}",
                )
        self.stdout.write(
            f"checked {counts['checked']}, processed {counts['processed']}, "
            f"failed {counts['failed']}, still pending {counts['pending']}, "
            f"errors {counts['errors']}"
        )
        if counts["errors"]:
            raise CommandError(f"{counts['errors']} refund(s) could not be synced; see above.")
