"""What the client-app commands share: the app named on the command line, its changes audited."""

from django.core.management.base import CommandError

from audit.commands import AuditedCommand
from clients.models import ClientApp


class ClientAppCommand(AuditedCommand):
    name_help = "the client app's name"

    def add_arguments(self, parser):
        parser.add_argument("name", help=self.name_help)
        super().add_arguments(parser)

    def client_app(self, name: str) -> ClientApp:
        app = ClientApp.objects.filter(name=name).first()
        if app is None:
            raise CommandError(f"no client app named {name!r}")
        return app

    def audit_app(self, options, app: ClientApp, action: str, detail: str) -> None:
        self.audit(
            options,
            action=action,
            object_type="client_app",
            object_id=app.pk,
            detail=f"{app.name}: {detail}",
        )
