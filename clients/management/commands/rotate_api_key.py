"""Issues a new key for a client app; its old keys keep working for the grace period."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from clients.models import ClientApp
from clients.services import api_key_rotate


class Command(BaseCommand):
    help = "Issue a new API key for a client app; old keys expire after --grace-hours."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--grace-hours", type=float, default=24.0)

    def handle(self, *args, name, grace_hours, **options):
        app = ClientApp.objects.filter(name=name).first()
        if app is None:
            raise CommandError(f"no client app named {name!r}")
        if grace_hours < 0:
            raise CommandError("--grace-hours cannot be negative")
        key = api_key_rotate(client_app=app, grace=timedelta(hours=grace_hours))
        self.stderr.write(f"Old keys of {name} work for {grace_hours:g} more hours. New key:")
        self.stdout.write(key)
