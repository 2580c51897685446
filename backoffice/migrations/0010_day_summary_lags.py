from django.db import migrations, models


def forget_summaries(apps, schema_editor):
    # Counted before they kept lags: the summarise_days chore counts the days again.
    apps.get_model('backoffice', 'DaySummary').objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0009_day_summary'),
    ]

    operations = [
        migrations.AddField(
            model_name='daysummary',
            name='lags',
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(forget_summaries, migrations.RunPython.noop),
    ]
