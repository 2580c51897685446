"""Deliveries through whole flows: a payment captured only by Razorpay's webhook reaches the
app's receiver (a real HTTP server) as `payment.captured`, verified with `standardwebhooks`;
staff add an endpoint in the admin (its secret shown once), send it a test event, see each
delivery's attempts, redeliver, and see the events and their delivery state on the payment."""

import re

import pytest
from django.core.management import call_command

from notifications.deliveries import deliveries_run_due
from notifications.models import Delivery, WebhookEndpoint
from notifications.services import webhook_endpoint_create
from notifications.tests.receiver import Receiver
from reliability.waiting import wait_until


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.mark.django_db(transaction=True)
def test_a_payment_captured_only_by_razorpays_webhook_reaches_the_apps_receiver(
    client_app, initiate, razorpay, live_server, receiver
):
    _, secret = webhook_endpoint_create(
        client_app=client_app, url=receiver.url(), events=["payment.captured"]
    )
    razorpay.configure(webhook_url=f"{live_server.url}/webhooks/razorpay", webhook_backoff=0.1)
    payment = initiate().json()
    razorpay.pay(payment["razorpayOrderId"], outcome="captured")  # no confirm: the tab closed

    def delivered():
        deliveries_run_due()
        return receiver.received()

    (request,) = wait_until(delivered, timeout=20, what="payment.captured at the receiver")
    told = request.verified(secret)  # as the client app verifies it: standardwebhooks
    assert (told["type"], told["actor"]) == ("payment.captured", "razorpay")
    assert told["data"]["id"] == payment["id"] and told["data"]["status"] == "captured"
    assert request.headers["webhook-id"] == told["id"]
    assert Delivery.objects.get().status == "delivered"


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.django_db
def test_staff_add_an_endpoint_see_its_secret_once_and_send_it_a_test_event(
    admin_client, client_app, receiver
):
    response = admin_client.post(
        "/admin/notifications/webhookendpoint/add/",
        {"client_app": client_app.pk, "url": receiver.url(), "events": ["payment.captured"]},
        follow=True,
    )
    (shown,) = [m for m in _messages(response) if "whsec_" in m]
    secret = re.search(r"whsec_\S+", shown)[0]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.events, endpoint.secret) == (["payment.captured"], secret)
    page = admin_client.get(f"/admin/notifications/webhookendpoint/{endpoint.pk}/change/")
    assert page.status_code == 200 and secret not in page.content.decode()

    response = admin_client.post(
        "/admin/notifications/webhookendpoint/",
        {"action": "send_test_event", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    assert any("Test delivery" in m for m in _messages(response))
    assert deliveries_run_due() == ["delivered"]
    (request,) = receiver.received()
    assert request.verified(secret)["type"] == "endpoint.test"

    delivery = Delivery.objects.get()
    page = admin_client.get(f"/admin/notifications/delivery/{delivery.pk}/change/").content.decode()
    assert "endpoint.test" in page and "delivered" in page and "200" in page  # the attempt

    admin_client.post(
        "/admin/notifications/delivery/",
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    assert deliveries_run_due() == ["delivered"]
    assert [r.headers["webhook-id"] for r in receiver.received()] == [delivery.message_id] * 2
    assert delivery.attempts_made.count() == 2


@pytest.mark.django_db
def test_the_admin_refuses_a_url_production_would_not_call(admin_client, client_app, settings):
    settings.NOTIFY_ALLOW_PRIVATE_URLS = False
    response = admin_client.post(
        "/admin/notifications/webhookendpoint/add/",
        {"client_app": client_app.pk, "url": "http://169.254.169.254/latest/"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "link-local" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_disabled_endpoint_is_flagged_in_the_list(admin_client, client_app, receiver):
    endpoint, _ = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    admin_client.post(
        "/admin/notifications/webhookendpoint/",
        {"action": "disable", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    listing = admin_client.get("/admin/notifications/webhookendpoint/").content.decode()
    assert "disabled by staff" in listing


@pytest.mark.django_db
def test_the_payments_timeline_shows_its_events_and_their_delivery_state(
    finance, paid, client_app, receiver
):
    from notifications.models import Event

    endpoint, _ = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    endpoint.after_seq = 0  # the payment's events came before it: hand them to it anyway
    endpoint.save()
    deliveries_run_due()
    event = Event.objects.get(object_id=paid.pk, type="payment.captured")
    page = finance.get(f"/admin/payments/payment/{paid.pk}/change/").content.decode()
    assert f"payment.captured {event.id}" in page
    assert f"{endpoint.pk} delivered (1)" in page


@pytest.mark.django_db
def test_support_sees_deliveries_but_cannot_redeliver(support, client_app, receiver):
    endpoint, _ = webhook_endpoint_create(client_app=client_app, url=receiver.url())
    from notifications.services import webhook_endpoint_send_test

    delivery = webhook_endpoint_send_test(endpoint=endpoint)
    assert support.get("/admin/notifications/delivery/").status_code == 200
    support.post(
        "/admin/notifications/delivery/",
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    deliveries_run_due()
    delivery.refresh_from_db()
    assert delivery.attempts == 1  # the one queued, not a second


@pytest.mark.django_db
def test_the_command_adds_lists_rotates_and_disables(client_app, receiver, capsys):
    call_command("webhook_endpoint", "add", "shop", receiver.url(), "--events", "refund.failed")
    secret = capsys.readouterr().out.strip()
    endpoint = WebhookEndpoint.objects.get()
    assert secret == endpoint.secret and endpoint.events == ["refund.failed"]
    call_command("webhook_endpoint", "rotate", endpoint.pk)
    rotated = capsys.readouterr().out.strip()
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (rotated, secret)
    call_command("webhook_endpoint", "disable", endpoint.pk)
    call_command("webhook_endpoint", "list", "shop")
    assert "DISABLED" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_make_runs_dev_receiver_takes_the_demo_apps_deliveries(client_app, live_server, capsys):
    url = f"{live_server.url}/_dev/webhook-receiver"
    for _ in range(2):  # each make run: the endpoint is added once
        call_command("webhook_endpoint", "add", "shop", url, "--if-missing")
    (endpoint,) = WebhookEndpoint.objects.all()
    from notifications.services import event_record

    event_record(client_app=client_app, type="refund.failed", object_id="r", data={}, actor="app")
    assert deliveries_run_due() == ["delivered"]
    assert Delivery.objects.get(endpoint=endpoint).last_status_code == 204
