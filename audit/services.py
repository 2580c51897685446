"""Writing the audit trail. Callers record an action once, after it took effect."""

from .models import AuditEntry, Via


def audit_record(
    *,
    actor: str,
    via: str,
    action: str,
    object_type: str,
    object_id: str,
    reason: str = "",
    detail: str = "",
) -> AuditEntry:
    """One entry: `actor` did `action` to the object, because `reason`; `detail` says what
    came of it (a refund's id and status, how many keys were revoked)."""
    return AuditEntry.objects.create(
        actor=actor[:150],
        via=via,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        reason=reason[:255],
        detail=detail[:500],
    )


def audit_by_staff(request, **entry) -> AuditEntry:
    """`audit_record` for an admin action (`entry`: its action, object_type, object_id,
    reason, detail): by the signed-in staff member, via the admin."""
    return audit_record(actor=request.user.get_username(), via=Via.ADMIN, **entry)
