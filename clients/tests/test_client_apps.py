"""Client apps' API keys: shown once, stored hashed, rotated with grace, revoked at once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from clients import auth
from clients.auth import client_app_for_key
from clients.idempotency import Answer, IdempotencyKeyInUse, idempotency_claim, idempotency_run
from clients.models import ApiKey, ClientApp, IdempotencyKey
from clients.services import api_key_revoke_all, api_key_rotate, client_app_create
from payments_service.clock import now

pytestmark = pytest.mark.django_db


def status_with(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.get("/payments").status_code


def test_key_is_stored_only_as_a_hash():
    app, key = client_app_create(name="shop")
    stored = ApiKey.objects.get(client_app=app)
    assert key not in (stored.key_hash, stored.prefix)
    assert key.startswith(stored.prefix)
    assert client_app_for_key(key) == app


def test_rotation_keeps_the_old_key_for_the_grace_period(settings):
    app, old = client_app_create(name="shop")
    new = api_key_rotate(client_app=app, grace=timedelta(hours=1))
    assert status_with(old) == status_with(new) == 200
    api_key_rotate(client_app=app, grace=timedelta(0))
    assert status_with(old) == 401


def test_revoked_keys_and_inactive_apps_are_401():
    app, key = client_app_create(name="shop")
    api_key_revoke_all(client_app=app)
    assert status_with(key) == 401
    app2, key2 = client_app_create(name="shop2")
    ClientApp.objects.filter(pk=app2.pk).update(is_active=False)
    assert status_with(key2) == 401


def test_create_client_app_prints_the_key_as_the_last_line(capsys):
    call_command("create_client_app", "billing")
    out = capsys.readouterr().out.strip().splitlines()
    assert status_with(out[-1]) == 200


def test_rotate_and_revoke_commands(capsys):
    call_command("create_client_app", "billing")
    old = capsys.readouterr().out.strip().splitlines()[-1]
    call_command("rotate_api_key", "billing", "--grace-hours", "1")
    new = capsys.readouterr().out.strip().splitlines()[-1]
    assert status_with(old) == status_with(new) == 200
    call_command("revoke_api_keys", "billing")
    assert status_with(old) == status_with(new) == 401


def test_a_checked_key_skips_the_lookup_and_is_checked_again_after_the_cache_time(
    settings, monkeypatch, django_assert_num_queries
):
    settings.API_KEY_CACHE_SECONDS = 5
    app, key = client_app_create(name="shop")
    assert client_app_for_key(key) == app
    with django_assert_num_queries(0):
        assert client_app_for_key(key) == app
    # Revoked by another process: this one's memory of the key is not cleared by it.
    ApiKey.objects.filter(client_app=app).update(revoked_at=app.created_at)
    assert client_app_for_key(key) == app
    later = auth._monotonic() + 5
    monkeypatch.setattr(auth, "_monotonic", lambda: later)
    assert client_app_for_key(key) is None


def test_changes_made_in_this_process_apply_at_once_despite_the_cache(settings, admin_client):
    settings.API_KEY_CACHE_SECONDS = 60
    app, key = client_app_create(name="shop")
    assert status_with(key) == 200
    api_key_revoke_all(client_app=app)
    assert status_with(key) == 401
    app2, key2 = client_app_create(name="shop2")
    assert status_with(key2) == 200
    response = admin_client.post(
        f"/admin/clients/clientapp/{app2.pk}/change/",
        {
            "name": "shop2",
            "api_keys-TOTAL_FORMS": 1,
            "api_keys-INITIAL_FORMS": 1,
            "api_keys-0-id": ApiKey.objects.get(client_app=app2).pk,
            "api_keys-0-client_app": app2.pk,
        },
    )
    assert response.status_code == 302
    assert status_with(key2) == 401  # saved without is_active: deactivated


def test_unknown_keys_are_not_remembered_and_the_memory_is_bounded(settings, monkeypatch):
    settings.API_KEY_CACHE_SECONDS = 60
    monkeypatch.setattr(auth, "_checked", {})
    monkeypatch.setattr(auth, "_CHECKED_MAX", 2)
    for n in range(5):
        assert client_app_for_key(f"psk_unknown{n}") is None
    assert auth._checked == {}
    keys = [client_app_create(name=f"shop{n}")[1] for n in range(3)]
    for key in keys:
        assert client_app_for_key(key) is not None
    assert len(auth._checked) <= 2


# --- the idempotency store: a crashed request's key ---------------------------------------------
def crashed_holding(client_app, *keys: str) -> None:
    """Requests that claimed these keys and died (no answer stored, key not released); their
    leases lapse together."""
    for key in keys:
        idempotency_claim(client_app=client_app, operation="refunds.create:p", key=key, body={})
    IdempotencyKey.objects.update(locked_until=now() - timedelta(seconds=1))


def keyed(client_app, key: str) -> dict:
    return {"client_app": client_app, "operation": "refunds.create:p", "key": key, "body": {}}


def test_a_crashed_requests_key_is_taken_over_by_a_retry_while_further_copies_wait(client_app):
    crashed_holding(client_app, "k1")

    def work(claim):
        with pytest.raises(IdempotencyKeyInUse):  # the retry holds a fresh lease
            idempotency_claim(**keyed(client_app, "k1"))
        return 201, {"id": "rfd_1"}

    assert idempotency_run(**keyed(client_app, "k1"), work=work) == Answer(
        201, {"id": "rfd_1"}, replayed=False
    )
    assert idempotency_run(**keyed(client_app, "k1"), work=None).replayed


def test_taking_over_one_crashed_key_leaves_the_others_free_to_retry(client_app):
    crashed_holding(client_app, "k1", "k2")
    assert not idempotency_run(**keyed(client_app, "k1"), work=lambda c: (201, {})).replayed
    # k2's lease lapsed as well: its retry runs at once instead of answering 409
    assert idempotency_run(**keyed(client_app, "k2"), work=lambda c: (201, {"k": 2})).body == {
        "k": 2
    }
