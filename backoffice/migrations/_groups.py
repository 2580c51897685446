"""The staff groups' sync, shared by the data migrations (the loader skips `_` modules)."""

from django.contrib.auth.management import create_permissions

from backoffice.roles import roles_sync


def sync_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
        migrating=True,
    )
