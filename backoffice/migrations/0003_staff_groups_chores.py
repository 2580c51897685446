"""The staff groups again, now with the chores' and reports' permissions."""

from django.db import migrations

from backoffice.migrations._groups import sync_groups


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0002_chores")]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
