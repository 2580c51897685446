"""Reads of disputes."""

from datetime import timedelta

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from payments_service.clock import now

from .models import UNDECIDED, Dispute

DUE_SOON = timedelta(hours=48)


def dispute_console() -> QuerySet[Dispute]:
    """The console's order: undecided disputes first, each group by respond_by."""
    undecided = Case(
        When(status__in=sorted(UNDECIDED), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return Dispute.objects.annotate(decided=undecided).order_by("decided", "respond_by", "id")


def dispute_counts() -> tuple[int, int]:
    """Undecided disputes, and how many of them are due within 48 hours (or overdue): one
    query."""
    counts = Dispute.objects.filter(status__in=sorted(UNDECIDED)).aggregate(
        undecided=Count("pk"), due=Count("pk", filter=Q(respond_by__lt=now() + DUE_SOON))
    )
    return counts["undecided"], counts["due"]
