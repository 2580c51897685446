"""Deletes rejected webhook deliveries past their retention (WEBHOOK_REJECTED_RETENTION); run
daily."""

from django.core.management.base import BaseCommand

from webhooks.services import webhook_purge_rejected


class Command(BaseCommand):
    help = "Delete rejected webhook deliveries older than WEBHOOK_REJECTED_RETENTION."

    def handle(self, *args, **options):
        self.stdout.write(f"Purged {webhook_purge_rejected()} rejected delivery(ies).")
