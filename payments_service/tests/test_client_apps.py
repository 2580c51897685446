"""Client apps' API keys: shown once, stored hashed, rotated with grace, revoked at once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from payments_service.client_apps import (
    api_key_revoke_all,
    api_key_rotate,
    client_app_create,
    client_app_for_key,
)
from payments_service.models import ApiKey, ClientApp

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
