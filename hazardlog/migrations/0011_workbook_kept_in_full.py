"""What an imported workbook holds beyond the template's fields: additional columns of hazards and
controls, source ids of causes and controls, the Version History as the log's document history, and
the workbook's other sheets.

SQLite adds these columns by rebuilding the tables, which the triggers of migrations 0003 and 0008
refer to: they are dropped around the rebuild and created again, unchanged (as in 0009).
"""

import importlib

from django.db import migrations, models

_previous = importlib.import_module("hazardlog.migrations.0009_hazard_entered_in_error")
_on_sqlite = _previous._on_sqlite


class Migration(migrations.Migration):
    dependencies = [
        ("hazardlog", "0010_nhs_matrix_history"),
    ]

    operations = [
        migrations.RunPython(_on_sqlite(_previous.SQLITE_DROP), _on_sqlite(_previous.SQLITE_CREATE)),
        migrations.AddField(
            model_name="cause",
            name="source_id",
            field=models.CharField(blank=True, max_length=20, verbose_name="source id"),
        ),
        migrations.AddField(
            model_name="control",
            name="additional_columns",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="control",
            name="source_id",
            field=models.CharField(blank=True, max_length=200, verbose_name="source id"),
        ),
        migrations.AddField(
            model_name="hazard",
            name="additional_columns",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="hazardlog",
            name="document_history",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="hazardlog",
            name="kept_sheets",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="historicalcause",
            name="source_id",
            field=models.CharField(blank=True, max_length=20, verbose_name="source id"),
        ),
        migrations.AddField(
            model_name="historicalcontrol",
            name="additional_columns",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="historicalcontrol",
            name="source_id",
            field=models.CharField(blank=True, max_length=200, verbose_name="source id"),
        ),
        migrations.AddField(
            model_name="historicalhazard",
            name="additional_columns",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="historicalhazardlog",
            name="document_history",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="historicalhazardlog",
            name="kept_sheets",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(_on_sqlite(_previous.SQLITE_CREATE), _on_sqlite(_previous.SQLITE_DROP)),
    ]
