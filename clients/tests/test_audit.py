"""Client apps' key commands write the audit trail: under the OS user, or --requested-by."""

import getpass

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from clients.models import ClientApp

pytestmark = pytest.mark.django_db


def test_key_commands_record_who_ran_them(capsys):
    call_command("create_client_app", "billing")
    call_command("rotate_api_key", "billing", "--requested-by", "asha")
    call_command("revoke_api_keys", "billing", "--requested-by", "asha")
    app = ClientApp.objects.get(name="billing")
    recorded = list(
        AuditEntry.objects.order_by("id").values_list("actor", "via", "action", "object_id")
    )
    assert recorded == [
        (getpass.getuser(), "command", "client_app.create", app.pk),
        ("asha", "command", "api_key.rotate", app.pk),
        ("asha", "command", "api_key.revoke", app.pk),
    ]
    new_key = capsys.readouterr().out.strip().splitlines()[1]
    # The trail names the key by its stored prefix, never the key itself.
    assert not AuditEntry.objects.filter(detail__contains=new_key).exists()


def test_creating_and_deactivating_an_app_in_the_admin_is_recorded(admin_client):
    admin_client.post(
        "/admin/clients/clientapp/add/", {"name": "kiosk", "is_active": "on"} | _inline()
    )
    app = ClientApp.objects.get(name="kiosk")
    key = app.api_keys.get()
    changed = {"name": "kiosk", "api_keys-0-id": key.pk, "api_keys-0-client_app": app.pk}
    admin_client.post(f"/admin/clients/clientapp/{app.pk}/change/", changed | _inline(1))
    actions = list(AuditEntry.objects.order_by("id").values_list("actor", "action", "detail"))
    assert actions == [
        ("admin", "client_app.create", f"kiosk: key {key.prefix}… issued"),
        ("admin", "client_app.change", "kiosk: is_active=False"),
    ]


def _inline(initial: int = 0) -> dict:
    return {
        "api_keys-TOTAL_FORMS": str(initial),
        "api_keys-INITIAL_FORMS": str(initial),
        "api_keys-MIN_NUM_FORMS": "0",
        "api_keys-MAX_NUM_FORMS": "1000",
    }
