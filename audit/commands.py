"""Who runs a management command, for the audit trail."""

import getpass

from django.core.management.base import BaseCommand

from .models import Via
from .services import audit_record


def add_requested_by(parser) -> None:
    parser.add_argument(
        "--requested-by",
        help="who asks for this, for the audit trail (default: the OS user running it)",
    )


def command_actor(requested_by: str | None) -> str:
    """`--requested-by` when given, else the OS user (a container may have none by name)."""
    if requested_by and requested_by.strip():
        return requested_by.strip()[:150]
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


class AuditedCommand(BaseCommand):
    """A command whose changes go to the audit trail under --requested-by (or the OS user);
    a subclass adds its own arguments, then calls `super().add_arguments(parser)`."""

    def add_arguments(self, parser):
        add_requested_by(parser)

    def actor(self, options) -> str:
        return command_actor(options.get("requested_by"))

    def audit(self, options, **entry) -> None:
        """`audit_record` (`entry`: action, object_type, object_id, reason, detail) by
        whoever runs this command."""
        audit_record(actor=self.actor(options), via=Via.COMMAND, **entry)
