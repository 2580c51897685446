"""Creates a client app; its API key is the last line of standard output, shown only once."""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from clients.services import client_app_create


class Command(BaseCommand):
    help = "Create a client app (its name is the sourceApp it sends) and print its new API key."

    def add_arguments(self, parser):
        parser.add_argument("name", help="letters, digits, - and _")

    def handle(self, *args, name, **options):
        try:
            app, key = client_app_create(name=name)
        except IntegrityError as exc:
            raise CommandError(f"a client app named {name!r} already exists") from exc
        self.stderr.write(f"Created client app {app.name} ({app.id}). Store the key now:")
        self.stdout.write(key)
