from django.db import migrations, models

from payments_service.db import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):

    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ('refunds', '0004_awaiting_approval'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='refund',
            index=models.Index(fields=['updated_at'], name='refund_updated_idx'),
        ),
    ]
