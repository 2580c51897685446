"""The staff groups again: both may read the audit trail."""

from django.db import migrations

from backoffice.migrations._groups import sync_groups


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0004_staff_groups_clients"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
