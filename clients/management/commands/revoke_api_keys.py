"""Revokes every key of a client app at once (a leaked key); rotate to give it a new one."""

from django.core.management.base import BaseCommand, CommandError

from clients.models import ClientApp
from clients.services import api_key_revoke_all


class Command(BaseCommand):
    help = (
        "Revoke every API key of a client app (running servers stop accepting them within "
        "API_KEY_CACHE_SECONDS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        app = ClientApp.objects.filter(name=name).first()
        if app is None:
            raise CommandError(f"no client app named {name!r}")
        count = api_key_revoke_all(client_app=app)
        self.stdout.write(f"Revoked {count} key(s) of {name}.")
