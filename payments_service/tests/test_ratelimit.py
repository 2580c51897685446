"""Rate limits per client app and per IP on confirm: 429 problems with Retry-After."""

import re

import pytest
from rest_framework.test import APIClient

from clients.services import client_app_create
from payments.models import Payment
from refunds.models import Refund

pytestmark = pytest.mark.django_db


def test_client_app_over_its_rate_is_429_with_retry_after(api, settings):
    settings.RATE_LIMIT_CLIENT_APP = "2/m"
    statuses = [api.get("/payments").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = api.get("/payments")
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60


def test_confirm_is_limited_per_ip(settings, db):
    settings.RATE_LIMIT_CONFIRM_IP = "2/m"
    client = APIClient()
    statuses = [
        client.post("/payments/confirm", {}, format="json", REMOTE_ADDR="10.0.0.1").status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    other_ip = client.post("/payments/confirm", {}, format="json", REMOTE_ADDR="10.0.0.2")
    assert other_ip.status_code == 400


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(settings, db):
    settings.RATE_LIMIT_CONFIRM_IP = "1/m"
    settings.TRUSTED_PROXY_HOPS = 1
    client = APIClient()

    def confirm_from(ip: str) -> int:
        return client.post(
            "/payments/confirm",
            {},
            format="json",
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR=f"1.1.1.1, {ip}",
        ).status_code

    assert [confirm_from("203.0.113.5"), confirm_from("203.0.113.5")] == [400, 429]
    assert confirm_from("203.0.113.6") == 400


def test_health_probes_are_never_rate_limited(client, settings):
    settings.RATE_LIMIT_CLIENT_APP = "1/m"
    settings.RATE_LIMIT_CONFIRM_IP = "1/m"
    assert {client.get("/healthz").status_code for _ in range(5)} == {200}


@pytest.mark.parametrize(
    ("backend", "options"),
    [
        # django-redis (production's): counted by the one-round-trip script
        ("django_redis.cache.RedisCache", {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2}),
        # any other cache: counted by django-ratelimit's get_usage
        (
            "django.core.cache.backends.redis.RedisCache",
            {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        ),
    ],
)
def test_a_cache_outage_lets_requests_through_instead_of_refusing_them(
    api, settings, caplog, backend, options
):
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": options,
        }
    }
    settings.RATE_LIMIT_CLIENT_APP = "1/m"
    assert [api.get("/payments").status_code for _ in range(3)] == [200, 200, 200]
    assert "rate limit client-app not checked: cache unavailable" in caplog.text


# --- per app: one app's burst never limits another ---------------------------------------------


@pytest.fixture
def billing(db) -> APIClient:
    """A second client app, `billing`, with its own key."""
    _, key = client_app_create(name="billing")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def captured_payment(client: APIClient, razorpay, ref: str) -> str:
    """The id of a payment of `client`'s app, initiated, paid and confirmed."""
    body = {"externalRef": ref, "amount": 1000, "currency": "INR"}
    payment = client.post(
        "/payments/initiate", body, format="json", headers={"Idempotency-Key": f"init-{ref}"}
    ).json()
    handler = razorpay.pay(payment["razorpayOrderId"], outcome="captured")
    assert APIClient().post("/payments/confirm", handler, format="json").status_code == 200
    return payment["id"]


def initiate_as(client: APIClient, ref: str):
    body = {"externalRef": ref, "amount": 1000, "currency": "INR"}
    return client.post(
        "/payments/initiate", body, format="json", headers={"Idempotency-Key": f"init-{ref}"}
    )


def refund_as(client: APIClient, payment_id: str, key: str):
    return client.post(
        f"/payments/{payment_id}/refunds",
        {"amount": 100},
        format="json",
        headers={"Idempotency-Key": key},
    )


def assert_rate_limited(response) -> None:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "rate_limited" and response.json()["status"] == 429
    assert re.fullmatch(r"[1-9][0-9]*", response["Retry-After"])  # whole seconds
    assert int(response["Retry-After"]) <= 3600


def limit_every_app_to(settings, count: int) -> None:
    # Per hour, so that the window cannot end in the middle of a test; a new rate also starts
    # new counters, so the requests that set a test up are not counted against it.
    settings.RATE_LIMIT_CLIENT_APP = f"{count}/h"


def test_an_app_over_its_rate_on_initiate_is_429_while_another_app_initiates_and_refunds(
    api, billing, razorpay, settings
):
    billing_payment = captured_payment(billing, razorpay, "billing-paid")
    limit_every_app_to(settings, 2)

    shop = [initiate_as(api, f"shop-{n}") for n in range(3)]

    assert [r.status_code for r in shop[:2]] == [201, 201]
    assert_rate_limited(shop[2])
    assert not Payment.objects.filter(external_ref="shop-2").exists()
    assert initiate_as(billing, "billing-new").status_code == 201
    assert refund_as(billing, billing_payment, "billing-refund").status_code == 201
    assert_rate_limited(initiate_as(api, "shop-3"))  # still limited: its count is its own


def test_an_app_over_its_rate_on_refunds_is_429_while_another_app_refunds_and_initiates(
    api, billing, razorpay, settings
):
    shop_payment = captured_payment(api, razorpay, "shop-paid")
    billing_payment = captured_payment(billing, razorpay, "billing-paid")
    limit_every_app_to(settings, 2)

    shop = [refund_as(api, shop_payment, f"shop-refund-{n}") for n in range(3)]

    assert [r.status_code for r in shop[:2]] == [201, 201]
    assert_rate_limited(shop[2])
    assert Refund.objects.filter(payment_id=shop_payment).count() == 2
    assert refund_as(billing, billing_payment, "billing-refund").status_code == 201
    assert initiate_as(billing, "billing-new").status_code == 201
    assert Refund.objects.filter(payment_id=billing_payment).count() == 1


def test_each_app_has_its_whole_rate_whatever_another_app_spent(api, billing, razorpay, settings):
    limit_every_app_to(settings, 3)
    shop = [initiate_as(api, f"shop-{n}").status_code for n in range(4)]
    billing_statuses = [initiate_as(billing, f"billing-{n}").status_code for n in range(4)]
    assert shop == [201, 201, 201, 429]
    assert billing_statuses == [201, 201, 201, 429]
