"""Issues a new key for a client app; its old keys keep working for the grace period."""

from datetime import timedelta

from django.core.management.base import CommandError

from audit.models import Action
from clients.services import api_key_rotate

from ._client_app import ClientAppCommand


class Command(ClientAppCommand):
    help = "Issue a new API key for a client app; old keys expire after --grace-hours."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--grace-hours", type=float, default=24.0)

    def handle(self, *args, name, grace_hours, **options):
        app = self.client_app(name)
        if grace_hours < 0:
            raise CommandError("--grace-hours cannot be negative")
        key = api_key_rotate(client_app=app, grace=timedelta(hours=grace_hours))
        issued = f"key {key[:12]}… issued; old keys {grace_hours:g} h"
        self.audit_app(options, app, Action.API_KEY_ROTATE, issued)
        self.stderr.write(f"Old keys of {name} work for {grace_hours:g} more hours. New key:")
        self.stdout.write(key)
