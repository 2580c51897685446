"""The staff groups again: both roles see events, webhook endpoints and their deliveries."""

from django.db import migrations

from backoffice.migrations._groups import sync_groups


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0006_staff_groups_refund_approval"),
        ("notifications", "0002_webhook_endpoints"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
