"""Enrols a TOTP authenticator for a user from the terminal: the first superuser's, or anyone's
when the admin cannot be reached. Prints the provisioning URI, a QR code and recovery codes."""

import io

import segno
from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.commands import AuditedCommand
from audit.models import Via
from backoffice.two_factor import totp_enrol


class Command(AuditedCommand):
    help = (
        "Give USER a new TOTP authenticator (replacing theirs) and print its provisioning URI, "
        "a QR code to scan from the terminal, and recovery codes."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        super().add_arguments(parser)

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
        codes = totp_enrol(device=device, actor=self.actor(options), via=Via.COMMAND)
        qr = io.StringIO()
        segno.make(device.config_url, error="m").terminal(out=qr, compact=True)
        self.stdout.write(f"Scan this with {username}'s authenticator app:\n")
        self.stdout.write(qr.getvalue())
        self.stdout.write(f"or enter this provisioning URI:\n{device.config_url}\n")
        self.stdout.write("Recovery codes (each works once; store them now):")
        for code in codes:
            self.stdout.write(f"  {code}")
