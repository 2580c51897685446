from django.db import migrations, models

from payments_service.db import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):

    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ('webhooks', '0008_webhook_lag'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='webhookevent',
            index=models.Index(condition=models.Q(('status', 'failed')), fields=['received_at'], name='webhook_event_failed_idx'),
        ),
    ]
