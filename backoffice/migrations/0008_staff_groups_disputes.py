"""The staff groups again: both may read disputes, finance may accept or contest them."""

from django.db import migrations

from backoffice.migrations._groups import sync_groups


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0007_staff_groups_deliveries"),
        ("disputes", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
