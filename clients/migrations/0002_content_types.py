"""The moved models' content types change app label, so their permissions (and the groups and
users holding them) and the admin's history of these rows stay attached to the same rows."""

from django.db import migrations

MODELS = ["clientapp", "apikey", "idempotencykey"]


def relabel(apps, schema_editor, *, old: str, new: str):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        moved = content_type.objects.filter(app_label=old, model=model).first()
        if moved is None:  # never created under the old label: post_migrate makes the new one
            continue
        # On a new database a groups sync earlier in this same `migrate` may have created the
        # new label's rows already; nothing else can hold them yet, and the old ones win.
        content_type.objects.filter(app_label=new, model=model).delete()
        moved.app_label = new
        moved.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    relabel(apps, schema_editor, old="payments_service", new="clients")


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, old="clients", new="payments_service")


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0001_initial"),
        ("payments_service", "0003_client_apps_moved"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
