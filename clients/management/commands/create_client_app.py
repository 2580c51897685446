"""Creates a client app; its API key is the last line of standard output, shown only once."""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from audit.commands import add_requested_by, command_actor
from audit.models import Action, Via
from audit.services import audit_record
from clients.services import client_app_create


class Command(BaseCommand):
    help = "Create a client app (its name is the sourceApp it sends) and print its new API key."

    def add_arguments(self, parser):
        parser.add_argument("name", help="letters, digits, - and _")
        add_requested_by(parser)

    def handle(self, *args, name, **options):
        try:
            app, key = client_app_create(name=name)
        except IntegrityError as exc:
            raise CommandError(f"a client app named {name!r} already exists") from exc
        audit_record(
            actor=command_actor(options.get("requested_by")),
            via=Via.COMMAND,
            action=Action.CLIENT_APP_CREATE,
            object_type="client_app",
            object_id=app.pk,
            detail=f"{app.name}: key {key[:12]}… issued",
        )
        self.stderr.write(f"Created client app {app.name} ({app.id}). Store the key now:")
        self.stdout.write(key)
