"""The audit trail in the back office: each money or access action is recorded once, with who,
what and why; the audit list and a payment's timeline show the same rows; support reads it
but cannot change it; its CSV is formula-safe."""

import csv
import io

import pytest

from audit.models import AuditEntry
from audit.services import audit_record
from backoffice.tests.test_roles import CASES, run_action

pytestmark = pytest.mark.django_db

AUDIT = "/admin/audit/auditentry/"
# What each action records: (actor, action, object type).
EXPECTED = {
    "sync": ("fiona", "payment.sync", "payment"),
    "capture": ("fiona", "payment.capture", "payment"),
    "refund": ("fiona", "payment.refund", "payment"),
    "reprocess": ("fiona", "webhook.reprocess", "webhook_event"),
    "rotate_keys": ("admin", "api_key.rotate", "client_app"),
    "revoke_keys": ("admin", "api_key.revoke", "client_app"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_action_is_recorded_once_with_who_what_and_why(request, name):
    case = CASES[name]
    staff = request.getfixturevalue(case.allowed)
    subject = case.arrange(request)
    AuditEntry.objects.all().delete()  # e.g. the client app's creation by the fixture

    run_action(staff, case.changelist, case.action, subject.pk, **case.typed)

    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_type) == EXPECTED[name]
    assert entry.via == "admin"
    assert entry.reason == case.typed.get("reason", "")
    assert entry.object_id == getattr(subject, "event_id", subject.pk)
    assert entry.detail


def test_a_refund_shows_in_the_audit_list_and_on_the_payments_timeline_as_one_row(finance, paid):
    run_action(finance, "/admin/payments/payment/", "refund", paid.pk, reason="torn box")
    entry = AuditEntry.objects.get()
    assert entry.detail.startswith("refund rf") or "refund " in entry.detail

    listed = finance.get(AUDIT, {"action__exact": "payment.refund"})
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [entry]
    timeline = finance.get(f"/admin/payments/payment/{paid.pk}/change/").content.decode()
    assert "Refund: torn box" in timeline and entry.detail in timeline
    assert timeline.count("torn box") == 2  # the refund's own row and the staff row


def test_a_second_submit_of_the_same_refund_form_records_nothing_more(finance, paid):
    from backoffice.tests.test_roles import posted_form

    chosen = {"action": "refund", "index": "0", "_selected_action": [paid.pk]}
    form = posted_form(finance.post("/admin/payments/payment/", chosen).content.decode(), "confirm")
    sent = {**form, "amount": "1.00", "reason": "twice"}
    finance.post("/admin/payments/payment/", sent)
    finance.post("/admin/payments/payment/", sent)
    assert AuditEntry.objects.count() == 1


def _entry(**fields):
    defaults = {"via": "admin", "object_type": "payment", "object_id": "pay_1"}
    return audit_record(**{**defaults, **fields})


def test_the_list_filters_by_person_action_and_date(finance):
    fiona = _entry(actor="fiona", action="payment.refund", reason="a")
    _entry(actor="omar", action="payment.refund", reason="b")
    _entry(actor="fiona", action="payment.capture", reason="c")

    def shown(**query):
        return set(finance.get(AUDIT, query).context["cl"].result_list)

    assert shown(actor="fiona", action__exact="payment.refund") == {fiona}
    day = fiona.created_at
    assert len(shown(created_at__year=day.year, created_at__month=day.month)) == 3
    assert shown(created_at__year=day.year - 1) == set()


def test_support_reads_the_audit_list_but_cannot_add_change_or_delete(support):
    entry = _entry(actor="fiona", action="payment.refund", reason="why")
    assert support.get(AUDIT).status_code == 200
    assert support.get(f"{AUDIT}add/").status_code == 403
    assert support.post(f"{AUDIT}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert support.post(f"{AUDIT}{entry.pk}/change/", {"reason": "edited"}).status_code in (
        403,
        200,  # the read-only page again, nothing saved
    )
    entry.refresh_from_db()
    assert entry.reason == "why"


def test_the_csv_export_is_formula_safe(finance):
    _entry(actor="fiona", action="payment.refund", reason='=HYPERLINK("http://x","y")')
    response = finance.get(f"{AUDIT}export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = ["when", "who", "via", "action", "object_type", "object_id", "reason", "detail"]
    assert rows[0] == header
    assert rows[1][1:7] == [
        "fiona",
        "admin",
        "payment.refund",
        "payment",
        "pay_1",
        '\'=HYPERLINK("http://x","y")',
    ]
