"""Webhook events and rejected deliveries in the back office, as staff see them."""

import pytest

from backoffice.tests.conftest import staff
from webhooks.models import RejectedDelivery, WebhookEvent
from webhooks.tests.events import deliver
from webhooks.tests.test_ingest import payment_event

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["support", "finance"])
def test_staff_never_see_a_webhooks_signature(client, order, role):
    envelope = payment_event(order, "payment.captured", "captured")
    deliver(client, envelope, event_id="evt_signed")
    deliver(client, envelope, event_id="evt_forged", signature="ab" * 32)
    stored, rejected = WebhookEvent.objects.get(), RejectedDelivery.objects.get()
    signature = stored.headers["X-Razorpay-Signature"]
    assert len(signature) == 64  # kept, for the record
    viewer = staff(f"{role}-viewer", role)

    pages = [
        "/admin/webhooks/webhookevent/",
        f"/admin/webhooks/webhookevent/{stored.pk}/change/",
        "/admin/webhooks/rejecteddelivery/",
        f"/admin/webhooks/rejecteddelivery/{rejected.pk}/change/",
    ]
    for page in pages:
        response = viewer.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert signature not in html and "ab" * 32 not in html
    event_page = viewer.get(pages[1]).content.decode()
    assert "valid (verified on receipt)" in event_page and "evt_signed" in event_page
    assert "Content-Type" in event_page  # the other headers are still there
    rejected_page = viewer.get(pages[3]).content.decode()
    assert "64 characters, hex" in rejected_page and "signature_invalid" in rejected_page
