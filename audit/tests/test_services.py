"""The audit trail's writer and the commands' actor."""

import getpass

import pytest

from audit.commands import command_actor
from audit.models import AuditEntry
from audit.services import audit_record


@pytest.mark.django_db
def test_an_entry_keeps_who_what_why_and_clips_what_would_not_fit():
    entry = audit_record(
        actor="fiona",
        via="admin",
        action="payment.refund",
        object_type="payment",
        object_id="pay_1",
        reason="x" * 300,
        detail="refund rf_1 ₹4.00 pending",
    )
    entry.refresh_from_db()
    assert (entry.actor, entry.get_action_display(), entry.object_id) == (
        "fiona",
        "Refund",
        "pay_1",
    )
    assert len(entry.reason) == 255
    assert entry.created_at is not None
    assert AuditEntry.objects.count() == 1


def test_a_command_acts_as_the_os_user_unless_told_otherwise(monkeypatch):
    assert command_actor(None) == getpass.getuser()
    assert command_actor("  asha  ") == "asha"

    def no_user():
        raise OSError("no name for uid 12345")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert command_actor("") == "unknown"
