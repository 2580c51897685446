"""Issues a new key for a client app; its old keys keep working for the grace period."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from audit.commands import add_requested_by, command_actor
from audit.models import Action, Via
from audit.services import audit_record
from clients.models import ClientApp
from clients.services import api_key_rotate


class Command(BaseCommand):
    help = "Issue a new API key for a client app; old keys expire after --grace-hours."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--grace-hours", type=float, default=24.0)
        add_requested_by(parser)

    def handle(self, *args, name, grace_hours, **options):
        app = ClientApp.objects.filter(name=name).first()
        if app is None:
            raise CommandError(f"no client app named {name!r}")
        if grace_hours < 0:
            raise CommandError("--grace-hours cannot be negative")
        key = api_key_rotate(client_app=app, grace=timedelta(hours=grace_hours))
        audit_record(
            actor=command_actor(options.get("requested_by")),
            via=Via.COMMAND,
            action=Action.API_KEY_ROTATE,
            object_type="client_app",
            object_id=app.pk,
            detail=f"{name}: key {key[:12]}… issued; old keys {grace_hours:g} h",
        )
        self.stderr.write(f"Old keys of {name} work for {grace_hours:g} more hours. New key:")
        self.stdout.write(key)
