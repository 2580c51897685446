from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The operators' console: the admin's top layer over payments, refunds and webhooks."""

    name = "backoffice"
    verbose_name = "Back office"
