"""The payments console, page by page, as finance and support staff use it."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEntry
from payments.models import Payment
from payments_service.integrations.razorpay import get_gateway
from refunds.models import Refund

pytestmark = pytest.mark.django_db

LIST = "/admin/payments/payment/"


def refund_form(staff, payment, **fields) -> dict:
    """The refund confirmation page's form for `payment`, as the browser would post it back:
    its one-time token plus `fields`."""
    chosen = {"action": "refund", "_selected_action": [payment.id]}
    page = staff.post(LIST, chosen).content.decode()
    token = re.search(r'name="token" value="(\w+)"', page)[1]
    return {**chosen, "confirm": "yes", "token": token, **fields}


def test_roles_exist_after_migrate_with_their_permissions():
    support = set(Group.objects.get(name="support").permissions.values_list("codename", flat=True))
    finance = set(Group.objects.get(name="finance").permissions.values_list("codename", flat=True))
    assert "view_payment" in support and "refund_payment" not in support
    assert {"refund_payment", "capture_payment", "reprocess_webhookevent"} <= finance
    assert support < finance


def test_list_shows_badges_units_and_masked_pii(finance, paid):
    page = finance.get(LIST).content.decode()
    assert "₹10.00" in page
    assert "c***@example.com" in page and "customer@example.com" not in page
    assert "9876543210" not in page  # the contact: on the payment's page only
    assert "captured</span>" in page
    # Times in one format: ISO 8601 in UTC, the instant machine-readable for the tooltip.
    shown = f"{paid.created_at:%Y-%m-%dT%H:%M:%SZ}"
    assert f'<time datetime="{paid.created_at.isoformat()}"' in page and f">{shown}</time>" in page


@pytest.mark.parametrize(
    "field", ["external_ref", "razorpay_order_id", "razorpay_payment_id", "id"]
)
def test_search_finds_a_payment_by_any_id(finance, paid, field):
    page = finance.get(LIST, {"q": getattr(paid, field)}).content.decode()
    assert paid.id in page and "1 result" in page


def test_filters_by_status(finance, paid):
    assert paid.id in finance.get(LIST, {"status__exact": "captured"}).content.decode()
    assert paid.id not in finance.get(LIST, {"status__exact": "failed"}).content.decode()


def test_detail_shows_the_whole_timeline_read_only(finance, paid):
    page = finance.get(f"{LIST}{paid.id}/change/").content.decode()
    assert "∅ → created" in page and "created → captured" in page
    assert paid.razorpay_payment_id in page  # the attempt
    assert 'name="amount"' not in page and "Save" not in page


def test_finance_refunds_part_through_the_confirmation_page(finance, paid):
    chosen = {"action": "refund", "_selected_action": [paid.id]}
    confirmation = finance.post(LIST, chosen)
    assert confirmation.status_code == 200
    assert b"Confirm: Refund" in confirmation.content
    assert not Refund.objects.exists()

    form = refund_form(finance, paid, amount="4.00", reason="damaged item")
    done = finance.post(LIST, form, follow=True)
    assert done.status_code == 200
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.requested_by) == (
        400,
        "damaged item",
        "user:fiona",
    )
    page = finance.get(f"{LIST}{paid.id}/change/").content.decode()
    assert refund.id in page and "Refund: damaged item" in page and "fiona" in page


def test_the_same_refund_form_submitted_twice_refunds_once(finance, paid, razorpay):
    form = refund_form(finance, paid, amount="4.00", reason="double click")
    finance.post(LIST, form, follow=True)
    again = finance.post(LIST, form, follow=True).content.decode()
    refund = Refund.objects.get()
    assert f"Already asked with this key: refund {refund.id}" in again
    assert len(get_gateway().payment_refunds(paid.razorpay_payment_id)) == 1


def test_refund_amount_in_units_is_validated(finance, paid):
    response = finance.post(LIST, refund_form(finance, paid, amount="1.234", reason="x"))
    assert b"at most 2 decimals" in response.content
    assert not Refund.objects.exists()


def test_refund_beyond_what_is_refundable_is_reported_not_done(finance, paid):
    form = refund_form(finance, paid, amount="11.00", reason="too much")
    page = finance.post(LIST, form, follow=True).content.decode()
    assert f"Payment {paid.id} has 1000 left to refund" in page
    assert not Refund.objects.exists()


def test_support_can_look_but_not_refund(support, paid):
    assert support.get(LIST).status_code == 200
    assert support.get(f"{LIST}{paid.id}/change/").status_code == 200
    assert b'value="refund"' not in support.get(LIST).content
    support.post(
        LIST,
        {"action": "refund", "_selected_action": [paid.id], "confirm": "yes", "reason": "x"},
    )
    assert not Refund.objects.exists()


def test_capture_action_captures_an_authorized_payment(finance, initiate, razorpay):
    body = initiate().json()
    razorpay.pay(body["razorpayOrderId"], outcome="authorized")
    payment = Payment.objects.get(pk=body["id"])
    finance.post(
        LIST,
        {
            "action": "sync_from_razorpay",
            "_selected_action": [payment.id],
            "confirm": "yes",
            "reason": "customer says they paid",
        },
    )
    payment.refresh_from_db()
    assert payment.status == "authorized"
    finance.post(
        LIST,
        {
            "action": "capture",
            "_selected_action": [payment.id],
            "confirm": "yes",
            "reason": "goods shipped",
        },
    )
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert payment.status_changes.last().source == "admin"


def test_csv_export_follows_the_filters(finance, paid, initiate):
    initiate(key="k2", externalRef="still-open")
    response = finance.get(f"{LIST}export.csv", {"status__exact": "captured"})
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["id", "source_app", "external_ref", "status"]
    assert [row[2] for row in rows[1:]] == ["order_123"]
    assert "customer@example.com" not in text


def page_button(staff, payment, action) -> dict:
    """What the payment page's button for `action` posts (to the list's action)."""
    return {"action": action, "_selected_action": [payment.id], "_from_page": "yes"}


def test_refund_button_on_the_payment_page_confirms_refunds_and_returns_to_the_page(finance, paid):
    page_url = f"{LIST}{paid.id}/change/"
    page = finance.get(page_url).content.decode()
    assert 'id="button-refund"' in page and 'id="button-sync_from_razorpay"' in page
    assert 'id="button-capture"' not in page  # captured already: nothing to capture

    confirm = finance.post(LIST, page_button(finance, paid, "refund")).content.decode()
    assert "Confirm: Refund" in confirm and "₹10.00" in confirm
    assert f'href="{page_url}" class="button cancel-link"' in confirm  # cancel: back to it
    token = re.search(r'name="token" value="(\w+)"', confirm)[1]
    form = {**page_button(finance, paid, "refund"), "confirm": "yes", "token": token}
    assert "optimum (instant where possible)" in confirm  # the API's words for `speed`
    fields = {"amount": "4.00", "reason": "damaged", "speed": "optimum"}
    done = finance.post(LIST, {**form, **fields}, follow=True)

    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.speed_requested) == (400, "damaged", "optimum")
    assert refund.requested_by == "user:fiona"
    assert done.redirect_chain == [(page_url, 302)]
    text = done.content.decode()
    # The id keeps its case although the admin capitalises a message's first letter.
    assert f"Payment {paid.id}: refund → pending" in text and "Pmt_" not in text
    entry = AuditEntry.objects.get(action="payment.refund")
    assert (entry.actor, entry.object_id, entry.reason) == ("fiona", paid.id, "damaged")


def test_sync_button_runs_the_list_action_with_its_reason_and_audit(finance, paid):
    confirm = finance.post(LIST, page_button(finance, paid, "sync_from_razorpay"))
    assert b"Confirm: Sync from Razorpay" in confirm.content
    form = {**page_button(finance, paid, "sync_from_razorpay"), "confirm": "yes"}
    done = finance.post(LIST, {**form, "reason": "customer called"}, follow=True)

    assert f"Payment {paid.id}: sync from razorpay → captured" in done.content.decode()
    assert AuditEntry.objects.get(action="payment.sync").reason == "customer called"


def test_support_sees_no_buttons_and_cannot_post_one(support, paid):
    page = support.get(f"{LIST}{paid.id}/change/").content.decode()
    assert "button-refund" not in page and "button-sync" not in page
    for action in ("refund", "sync_from_razorpay", "capture"):
        answer = support.post(LIST, page_button(support, paid, action), follow=True)
        assert b"Confirm:" not in answer.content
    form = {**page_button(support, paid, "refund"), "confirm": "yes", "token": "t" * 32}
    support.post(LIST, {**form, "amount": "4.00", "reason": "x"})
    assert not Refund.objects.exists() and not AuditEntry.objects.exists()
