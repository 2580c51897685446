"""Refunds, webhook events, idempotency keys and client apps in the back office."""

import csv
import io
import re
import zlib

import pytest
from django.core import signing
from rest_framework.test import APIClient

from clients.models import ClientApp
from webhooks.models import WebhookEvent
from webhooks.tests.events import deliver, event, payment_entity

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/refunds/refund/",
    "/admin/webhooks/webhookevent/",
    "/admin/webhooks/rejecteddelivery/",
    "/admin/clients/idempotencykey/",
    "/admin/clients/clientapp/",
    "/admin/payments/payment/",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_list_loads_for_both_roles(finance, support, paid, page):
    assert finance.get(page).status_code == 200
    assert support.get(page).status_code == 200


def test_detail_pages_load(finance, paid, api):
    refund = api.post(
        f"/payments/{paid.id}/refunds",
        {"amount": 100},
        format="json",
        headers={"Idempotency-Key": "r"},
    ).json()
    assert finance.get(f"/admin/refunds/refund/{refund['id']}/change/").status_code == 200
    app = ClientApp.objects.get(name="shop")
    assert finance.get(f"/admin/clients/clientapp/{app.pk}/change/").status_code == 200


def test_refund_list_shows_units_and_exports_filtered_csv(finance, paid, api):
    for key, amount in (("a", 100), ("b", 250)):
        api.post(
            f"/payments/{paid.id}/refunds",
            {"amount": amount},
            format="json",
            headers={"Idempotency-Key": key},
        )
    assert "₹2.50" in finance.get("/admin/refunds/refund/").content.decode()
    response = finance.get("/admin/refunds/refund/export.csv", {"q": paid.id})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["id", "payment", "source_app"]
    assert sorted(row[4] for row in rows[1:]) == ["100", "250"]


def test_webhook_event_page_pretty_prints_the_payload(finance, client, paid):
    entity = payment_entity(order_id=paid.razorpay_order_id, payment_id=paid.razorpay_payment_id)
    deliver(client, event("payment.captured", entity))
    stored = WebhookEvent.objects.get()
    page = finance.get(f"/admin/webhooks/webhookevent/{stored.pk}/change/").content.decode()
    assert "<pre>" in page and "&quot;event&quot;: &quot;payment.captured&quot;" in page
    assert "valid (verified on receipt)" in page


def test_support_cannot_reprocess_webhooks_or_manage_keys(support, client, paid):
    entity = payment_entity(order_id="order_NotOurs000000001", payment_id="pay_NotOurs00000001")
    deliver(client, event("payment.captured", entity))
    stored = WebhookEvent.objects.get()
    support.post(
        "/admin/webhooks/webhookevent/",
        {"action": "reprocess", "_selected_action": [stored.pk]},
    )
    stored.refresh_from_db()
    assert stored.attempts == 1
    assert support.get("/admin/clients/clientapp/add/").status_code == 403
    app = ClientApp.objects.get(name="shop")
    support.post(
        "/admin/clients/clientapp/",
        {"action": "revoke_keys", "_selected_action": [app.pk]},
    )
    assert app.api_keys.filter(revoked_at__isnull=True).exists()


def test_creating_a_client_app_in_the_admin_shows_its_key_once(admin_client, db):
    response = admin_client.post(
        "/admin/clients/clientapp/add/",
        {
            "name": "billing",
            "is_active": "on",
            "api_keys-TOTAL_FORMS": "0",
            "api_keys-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    key = next(m for m in messages if "psk_" in m).split("API key for billing: ")[1].split(" ")[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/payments").status_code == 200
    app = ClientApp.objects.get(name="billing")
    again = admin_client.get(f"/admin/clients/clientapp/{app.pk}/change/")
    assert key not in again.content.decode()


def _set_cookies(response) -> str:
    """The response's Set-Cookie headers as anyone holding them reads them: a signed value
    (django.core.signing, as the message cookie is) is base64, maybe compressed, not secret."""
    readable = []
    for morsel in response.cookies.values():
        readable.append(morsel.OutputString())
        payload = morsel.value.split(":")[0]
        try:
            data = signing.b64_decode(payload.lstrip(".").encode())
            readable.append((zlib.decompress(data) if payload[:1] == "." else data).decode())
        except (ValueError, zlib.error):
            pass  # not a signed value
    return "\n".join(readable)


def test_a_new_api_key_is_shown_on_the_page_and_never_sent_in_a_cookie(admin_client, db):
    # Django's default message storage is a cookie: signed, not encrypted, so readable.
    created = admin_client.post(
        "/admin/clients/clientapp/add/",
        {
            "name": "billing",
            "is_active": "on",
            "api_keys-TOTAL_FORMS": "0",
            "api_keys-INITIAL_FORMS": "0",
        },
    )
    assert created.status_code == 302
    shown = admin_client.get(created["Location"])
    key = re.search(r"psk_[A-Za-z0-9_-]+", shown.content.decode())[0]
    app = ClientApp.objects.get(name="billing")
    rotated = admin_client.post(
        "/admin/clients/clientapp/",
        {"action": "rotate_keys", "_selected_action": [app.pk]},
    )
    rotated_shown = admin_client.get(rotated["Location"])
    new_key = re.search(r"psk_[A-Za-z0-9_-]+", rotated_shown.content.decode())[0]
    assert new_key != key
    for response in (created, shown, rotated, rotated_shown):
        assert key not in _set_cookies(response) and new_key not in _set_cookies(response)


def test_idempotency_keys_are_read_only(finance, initiate, razorpay):
    initiate()
    page = finance.get("/admin/clients/idempotencykey/").content.decode()
    assert "key-1" in page and "payments.initiate" in page
    assert finance.get("/admin/clients/idempotencykey/add/").status_code == 403
