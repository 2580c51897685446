"""Compares our payments and refunds with Razorpay's; --fix applies Razorpay's truth.

Exits 0 when it completes (mismatches are reported, not errors); with --check, non-zero while
unresolved mismatches remain, for a scheduler to alert on.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from backoffice.reconcile import reconcile
from payments.currencies import money
from payments_service.clock import now
from payments_service.commands import parse_moment


class Command(BaseCommand):
    help = "Reconcile local payments and refunds with Razorpay for a window (default: 7 days)."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="apply Razorpay's truth")
        parser.add_argument("--check", action="store_true", help="exit 1 if mismatches remain")
        parser.add_argument("--since", help="from DATE or DATETIME (default: 7 days ago)")
        parser.add_argument("--until", help="up to DATE or DATETIME (default: now)")

    def handle(self, *args, since, until, fix, check, **options):
        until_at = parse_moment(until, "--until") if until else now()
        since_at = parse_moment(since, "--since") if since else until_at - timedelta(days=7)
        if since_at >= until_at:
            raise CommandError("--since must be before --until")
        report = reconcile(since=since_at, until=until_at, fix=fix, actor="reconcile")
        self.stdout.write(
            f"Reconciled {report.payments_checked} payment(s) from {since_at:%Y-%m-%d %H:%M} "
            f"to {until_at:%Y-%m-%d %H:%M}: {len(report.mismatches)} mismatch(es), "
            f"{len(report.mismatches) - len(report.unresolved)} fixed."
        )
        for m in report.mismatches:
            state = "fixed" if m.fixed else ("fixable" if m.fixable else "check by hand")
            self.stdout.write(f"  {m.kind:<20} {m.subject:<32} {m.detail}  [{state}]")
        if report.totals:
            self.stdout.write("Daily totals (captured / refunded / net):")
        for total in report.totals:
            self.stdout.write(
                f"  {total.day} {total.currency}  {money(total.captured, total.currency)} / "
                f"{money(total.refunded, total.currency)} / {money(total.net, total.currency)}"
            )
        if check and report.unresolved:
            raise CommandError(f"{len(report.unresolved)} unresolved mismatch(es)")
