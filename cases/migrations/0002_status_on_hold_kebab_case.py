"""A case on hold is "on-hold": the API's multi-word values are all kebab-case, like the
document types ("engagement-letter") and policies ("services-agreement")."""

from django.db import migrations, models

_CHOICES = [("open", "Open"), ("on-hold", "On hold"), ("closed", "Closed")]


def _renamed(old: str, new: str):
    def rename(apps, schema_editor):
        for model in ("Case", "HistoricalCase"):
            apps.get_model("cases", model).objects.filter(status=old).update(status=new)

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="status",
            field=models.CharField(choices=_CHOICES, default="open", max_length=10),
        ),
        migrations.AlterField(
            model_name="historicalcase",
            name="status",
            field=models.CharField(choices=_CHOICES, default="open", max_length=10),
        ),
        migrations.RunPython(_renamed("on_hold", "on-hold"), _renamed("on-hold", "on_hold")),
    ]
