from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """What client apps are told: events and the feed. Stores the snapshot it is given and
    imports no domain app, so every domain app can record its events here."""

    name = "notifications"
    verbose_name = "Notifications"
