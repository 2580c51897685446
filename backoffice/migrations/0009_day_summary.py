from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0008_staff_groups_disputes'),
    ]

    operations = [
        migrations.CreateModel(
            name='DaySummary',
            fields=[
                ('day', models.DateField(primary_key=True, serialize=False)),
                ('currencies', models.JSONField(default=dict)),
                ('failures', models.JSONField(default=dict)),
                ('checked_at', models.DateTimeField(help_text='Nothing written to the day before then is missed.')),
            ],
            options={
                'ordering': ['-day'],
            },
        ),
    ]
