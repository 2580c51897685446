"""`make run`'s set-up: a local admin user and a demo client app, with their secrets printed.

Each run resets the admin's password and gives the demo app a fresh key (revoking the old
ones), since neither can be shown again. Refused in production.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clients.models import ClientApp
from clients.services import api_key_issue, api_key_revoke_all


class Command(BaseCommand):
    help = "Create or reset the local admin user and the demo client app (not in production)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="default: a new random password")
        parser.add_argument("--app", default="demo", help="the demo client app's name")

    def handle(self, *args, username, password, app, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("refused in production: use createsuperuser and create_client_app")
        password = password or secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        client_app, _ = ClientApp.objects.get_or_create(name=app)
        api_key_revoke_all(client_app=client_app)
        key = api_key_issue(client_app=client_app)
        self.stdout.write(f"Admin login:      {username} / {password}")
        self.stdout.write(f"Demo client app:  {app}  (sourceApp), API key {key}")
