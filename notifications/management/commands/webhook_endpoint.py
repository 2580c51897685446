"""Manages a client app's webhook endpoints: add (prints the secret, once), list, rotate
(prints the new secret), disable, enable, test (queues an `endpoint.test` delivery), delete."""

from django.core.management.base import BaseCommand, CommandError

from clients.models import ClientApp
from notifications import services
from notifications.models import WebhookEndpoint
from notifications.services import EndpointInvalid


class Command(BaseCommand):
    help = "Add, list, rotate, disable, enable, test or delete a client app's webhook endpoints."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add an endpoint; prints its signing secret")
        add.add_argument("app", help="the client app's name")
        add.add_argument("url")
        add.add_argument(
            "--events", default="", help="comma-separated event types (default: every type)"
        )
        add.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing when the app has an endpoint with this URL already (make run)",
        )
        listing = actions.add_parser("list", help="an app's endpoints")
        listing.add_argument("app")
        for name, what in (
            ("rotate", "a new secret (printed); the old one signs for NOTIFY_SECRET_OVERLAP"),
            ("disable", "stop deliveries; pending ones are failed"),
            ("enable", "deliver again, the events recorded from now on"),
            ("test", "queue an endpoint.test delivery to it"),
            ("delete", "remove it and its deliveries"),
        ):
            actions.add_parser(name, help=what).add_argument("endpoint", help="we_…")

    def handle(self, *args, action, **options):
        if action in ("add", "list"):
            app = ClientApp.objects.filter(name=options["app"]).first()
            if app is None:
                raise CommandError(f"no client app named {options['app']!r}")
            if action == "list":
                for endpoint in WebhookEndpoint.objects.filter(client_app=app):
                    state = (
                        "enabled" if endpoint.enabled else f"DISABLED {endpoint.disabled_reason}"
                    )
                    types = ",".join(endpoint.events) or "*"
                    self.stdout.write(f"{endpoint.pk}\t{endpoint.url}\t{types}\t{state}")
                return
            if options["if_missing"] and app.webhook_endpoints.filter(url=options["url"]).exists():
                self.stderr.write(f"{app.name} has an endpoint at {options['url']} already.")
                return
            events = [each.strip() for each in options["events"].split(",") if each.strip()]
            try:
                endpoint, secret = services.webhook_endpoint_create(
                    client_app=app, url=options["url"], events=events
                )
            except EndpointInvalid as exc:
                raise CommandError(f"{exc.field}: {exc.message}") from exc
            self.stderr.write(f"Added {endpoint.pk} for {app.name}. Its signing secret:")
            self.stdout.write(secret)
            return
        endpoint = WebhookEndpoint.objects.filter(pk=options["endpoint"]).first()
        if endpoint is None:
            raise CommandError(f"no endpoint {options['endpoint']!r}")
        if action == "rotate":
            secret = services.webhook_endpoint_rotate_secret(endpoint=endpoint)
            self.stderr.write(f"Rotated {endpoint.pk}; the old secret signs too for a while:")
            self.stdout.write(secret)
        elif action == "disable":
            services.webhook_endpoint_disable(endpoint=endpoint, reason="disabled by a command")
            self.stdout.write(f"Disabled {endpoint.pk}.")
        elif action == "enable":
            services.webhook_endpoint_enable(endpoint=endpoint)
            self.stdout.write(f"Enabled {endpoint.pk}.")
        elif action == "test":
            delivery = services.webhook_endpoint_send_test(endpoint=endpoint)
            self.stdout.write(f"Queued test delivery {delivery.message_id} to {endpoint.url}.")
        else:
            services.webhook_endpoint_delete(endpoint=endpoint)
            self.stdout.write(f"Deleted {endpoint.pk}.")
