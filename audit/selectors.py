"""Reading the audit trail."""

from django.db.models import QuerySet

from .models import AuditEntry


def audit_entries_for(*, object_type: str, object_ids) -> QuerySet[AuditEntry]:
    """What staff and commands did to these objects (a payment's timeline reads these)."""
    return AuditEntry.objects.filter(object_type=object_type, object_id__in=list(object_ids))
