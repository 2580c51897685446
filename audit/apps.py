from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who did what: every staff action that moves money or changes access, once. Stores the
    names and ids it is given and imports no domain app, so every app above it can write here."""

    name = "audit"
    verbose_name = "Audit trail"
