"""Deletes idempotency keys past their retention (IDEMPOTENCY_KEY_TTL_HOURS); run hourly."""

from django.core.management.base import BaseCommand

from clients.idempotency import idempotency_purge_expired


class Command(BaseCommand):
    help = "Delete expired idempotency keys."

    def handle(self, *args, **options):
        self.stdout.write(f"Purged {idempotency_purge_expired()} expired idempotency key(s).")
