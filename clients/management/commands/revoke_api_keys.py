"""Revokes every key of a client app at once (a leaked key); rotate to give it a new one."""

from django.core.management.base import BaseCommand, CommandError

from audit.commands import add_requested_by, command_actor
from audit.models import Action, Via
from audit.services import audit_record
from clients.models import ClientApp
from clients.services import api_key_revoke_all


class Command(BaseCommand):
    help = (
        "Revoke every API key of a client app (running servers stop accepting them within "
        "API_KEY_CACHE_SECONDS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        add_requested_by(parser)

    def handle(self, *args, name, **options):
        app = ClientApp.objects.filter(name=name).first()
        if app is None:
            raise CommandError(f"no client app named {name!r}")
        count = api_key_revoke_all(client_app=app)
        audit_record(
            actor=command_actor(options.get("requested_by")),
            via=Via.COMMAND,
            action=Action.API_KEY_REVOKE,
            object_type="client_app",
            object_id=app.pk,
            detail=f"{name}: {count} key(s) revoked",
        )
        self.stdout.write(f"Revoked {count} key(s) of {name}.")
