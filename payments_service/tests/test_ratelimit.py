"""Rate limits per client app and per IP on confirm: 429 problems with Retry-After."""

import pytest
from rest_framework.test import APIClient

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


def test_a_cache_outage_lets_requests_through_instead_of_refusing_them(api, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.RATE_LIMIT_CLIENT_APP = "1/m"
    assert [api.get("/payments").status_code for _ in range(3)] == [200, 200, 200]
    assert "rate limit client-app not checked: cache unavailable" in caplog.text
