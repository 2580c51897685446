"""`make run`'s set-up: a local admin user and a demo client app, with their secrets printed.

Each run resets the admin's password and gives the demo app a fresh key (revoking the old
ones), since neither can be shown again; so `make run` checks its ports before calling it, and
a second `make run` beside a running one fails without breaking the first one's key.
`--return-url` sets where confirm sends the customer's browser (the demo shop page). Refused in
production.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clients.models import ClientApp, validate_return_url
from clients.services import api_key_issue, api_key_revoke_all


class Command(BaseCommand):
    help = "Create or reset the local admin user and the demo client app (not in production)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="default: a new random password")
        parser.add_argument("--app", default="demo", help="the demo client app's name")
        parser.add_argument(
            "--return-url", help="the demo app's return URL (default: leave it as it is)"
        )

    def handle(self, *args, username, password, app, return_url, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("refused in production: use createsuperuser and create_client_app")
        if return_url:
            try:
                validate_return_url(return_url)
            except ValidationError as exc:
                raise CommandError(f"--return-url: {' '.join(exc.messages)}") from exc
        password = password or secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        client_app, _ = ClientApp.objects.get_or_create(name=app)
        if return_url is not None and client_app.return_url != return_url:
            client_app.return_url = return_url
            client_app.save(update_fields=["return_url"])
        api_key_revoke_all(client_app=client_app)
        key = api_key_issue(client_app=client_app)
        self.stdout.write(f"Admin login:      {username} / {password}")
        self.stdout.write(f"Demo client app:  {app}  (sourceApp), API key {key}")
