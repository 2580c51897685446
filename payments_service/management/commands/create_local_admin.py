"""Creates (or resets) the local superuser that `make run` prints. Refused in production."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create or reset the local admin user and print its credentials (not in production)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="default: a new random password")

    def handle(self, *args, username, password, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("refused: create staff users with createsuperuser in production")
        password = password or secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"Admin login: {username} / {password}")
