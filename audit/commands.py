"""Who runs a management command, for the audit trail."""

import getpass


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
