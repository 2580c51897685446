"""Creates the `support` and `finance` staff groups with their permissions."""

from django.db import migrations

from backoffice.migrations._groups import sync_groups


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("payments", "0002_permissions"),
        ("payments_service", "0001_initial"),
        ("refunds", "0001_initial"),
        ("webhooks", "0002_permissions"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
