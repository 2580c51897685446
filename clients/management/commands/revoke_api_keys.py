"""Revokes every key of a client app at once (a leaked key); rotate to give it a new one."""

from audit.models import Action
from clients.services import api_key_revoke_all

from ._client_app import ClientAppCommand


class Command(ClientAppCommand):
    help = (
        "Revoke every API key of a client app (running servers stop accepting them within "
        "API_KEY_CACHE_SECONDS)."
    )

    def handle(self, *args, name, **options):
        app = self.client_app(name)
        count = api_key_revoke_all(client_app=app)
        self.audit_app(options, app, Action.API_KEY_REVOKE, f"{count} key(s) revoked")
        self.stdout.write(f"Revoked {count} key(s) of {name}.")
