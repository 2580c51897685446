from django.db import migrations, models

from payments_service.db import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):

    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ('payments', '0008_dispute_amounts'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='payment',
            index=models.Index(fields=['updated_at'], name='payment_updated_idx'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='paymentattempt',
            index=models.Index(fields=['updated_at'], name='attempt_updated_idx'),
        ),
    ]
