"""Creates a client app; its API key is the last line of standard output, shown only once."""

from django.core.management.base import CommandError
from django.db import IntegrityError

from audit.models import Action
from clients.services import client_app_create

from ._client_app import ClientAppCommand


class Command(ClientAppCommand):
    help = "Create a client app (its name is the sourceApp it sends) and print its new API key."
    name_help = "letters, digits, - and _"

    def handle(self, *args, name, **options):
        try:
            app, key = client_app_create(name=name)
        except IntegrityError as exc:
            raise CommandError(f"a client app named {name!r} already exists") from exc
        self.audit_app(options, app, Action.CLIENT_APP_CREATE, f"key {key[:12]}… issued")
        self.stderr.write(f"Created client app {app.name} ({app.id}). Store the key now:")
        self.stdout.write(key)
