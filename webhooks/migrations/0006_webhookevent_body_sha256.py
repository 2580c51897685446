"""The body's digest, filled in for the events already stored. Copies stored under different
event ids before this existed share a digest: only the first of each keeps it, so that the
unique constraint (next migration) holds; the others stay NULL, found by their event id."""

import hashlib

from django.db import migrations, models


def fill_digests(apps, schema_editor):
    WebhookEvent = apps.get_model("webhooks", "WebhookEvent")
    seen, batch = set(), []
    rows = WebhookEvent.objects.only("pk", "body").order_by("pk").iterator(chunk_size=2000)
    for event in rows:
        digest = hashlib.sha256(event.body.encode()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        event.body_sha256 = digest
        batch.append(event)
        if len(batch) >= 1000:
            WebhookEvent.objects.bulk_update(batch, ["body_sha256"])
            batch = []
    WebhookEvent.objects.bulk_update(batch, ["body_sha256"])


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0005_webhookevent_traceback"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookevent",
            name="body_sha256",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="SHA-256 of the raw body.",
                max_length=64,
                null=True,
            ),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop, elidable=True),
    ]
