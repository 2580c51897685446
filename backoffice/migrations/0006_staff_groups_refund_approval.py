"""The staff groups again: finance may approve or reject refunds awaiting approval."""

from django.db import migrations

from backoffice.migrations._groups import sync_groups


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0005_staff_groups_audit"),
        ("refunds", "0004_awaiting_approval"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
