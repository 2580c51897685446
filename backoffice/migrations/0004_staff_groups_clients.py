"""The staff groups again: the client apps' permissions now carry the `clients` label."""

from django.db import migrations

from backoffice.migrations._groups import sync_groups


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0003_staff_groups_chores"),
        ("clients", "0002_content_types"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
