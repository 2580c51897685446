"""ClientApp, ApiKey and IdempotencyKey move here from `payments_service`, keeping its tables:
this only tells the migration state; `payments_service` 0003 then forgets them. No row moves."""

import django.db.models.deletion
from django.db import migrations, models

import clients.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("payments_service", "0002_idempotency_resource")]

    state_operations = [
        migrations.CreateModel(
            name="ClientApp",
            fields=[
                (
                    "id",
                    models.CharField(
                        default=clients.models._app_id,
                        editable=False,
                        max_length=32,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "name",
                    models.SlugField(
                        help_text="The sourceApp it sends.", max_length=64, unique=True
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "db_table": "payments_service_clientapp",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="ApiKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "prefix",
                    models.CharField(
                        help_text="The key's first characters, to tell it.", max_length=16
                    ),
                ),
                ("key_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "expires_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="Set when the key is rotated: it works until then.",
                        null=True,
                    ),
                ),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "client_app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_keys",
                        to="clients.clientapp",
                    ),
                ),
            ],
            options={
                "verbose_name": "API key",
                "db_table": "payments_service_apikey",
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="IdempotencyKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("operation", models.CharField(max_length=64)),
                ("key", models.CharField(max_length=255)),
                (
                    "fingerprint",
                    models.CharField(help_text="SHA-256 of the canonical body.", max_length=64),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("in_progress", "in progress"), ("completed", "completed")],
                        default="in_progress",
                        max_length=16,
                    ),
                ),
                ("locked_until", models.DateTimeField()),
                ("resource_id", models.CharField(blank=True, default="", max_length=32)),
                ("response_status", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("response_body", models.JSONField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField(db_index=True)),
                (
                    "client_app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="clients.clientapp"
                    ),
                ),
            ],
            options={
                "db_table": "payments_service_idempotencykey",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("client_app", "operation", "key"),
                        name="idempotency_key_once_per_scope",
                    )
                ],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations, database_operations=[]
        )
    ]
