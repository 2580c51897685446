"""Helpers shared by management commands."""

from datetime import datetime, time

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


def parse_moment(value: str, option: str) -> datetime:
    """A command-line date (`2026-11-01`, midnight) or datetime, aware in the current zone."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"{option} {value!r} is not a date (YYYY-MM-DD) or datetime")
        moment = datetime.combine(day, time.min)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
