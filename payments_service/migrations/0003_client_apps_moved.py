"""ClientApp, ApiKey and IdempotencyKey now belong to `clients` (its 0001), which kept their
tables: they leave this app's state only, once nothing points at them here any more."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("payments_service", "0002_idempotency_resource"),
        ("clients", "0001_initial"),
        ("payments", "0005_client_app_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="IdempotencyKey"),
                migrations.DeleteModel(name="ApiKey"),
                migrations.DeleteModel(name="ClientApp"),
            ],
            database_operations=[],
        )
    ]
