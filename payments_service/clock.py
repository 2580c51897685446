"""The one reading of "now", so tests can move time."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
