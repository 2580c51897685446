"""Creates the `support` and `finance` staff groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from backoffice.roles import roles_sync


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("payments", "0002_permissions"),
        ("payments_service", "0001_initial"),
        ("refunds", "0001_initial"),
        ("webhooks", "0002_permissions"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
