"""A hazard entered in error is marked, with a reason, never deleted.

SQLite adds these columns by rebuilding the hazard table, which the triggers of migrations 0003 and 0008
refer to: they are dropped around the rebuild and created again, unchanged.
"""

import importlib

import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

_matrix = importlib.import_module("hazardlog.migrations.0003_assessment_matrix_trigger")
_revision = importlib.import_module("hazardlog.migrations.0008_hazard_revision_covers_children")
SQLITE_DROP = [*_matrix.SQLITE_DROP, *_revision.SQLITE_DROP]
SQLITE_CREATE = [*_matrix.SQLITE_CREATE, *_revision.SQLITE_CREATE]
_on_sqlite = importlib.import_module("hazardlog.migrations.0004_web_reference_sort")._on_sqlite


class Migration(migrations.Migration):
    dependencies = [
        ("hazardlog", "0008_hazard_revision_covers_children"),
    ]

    operations = [
        migrations.RunPython(_on_sqlite(SQLITE_DROP), _on_sqlite(SQLITE_CREATE)),
        migrations.AddField(
            model_name="hazard",
            name="entered_in_error",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="hazard",
            name="entered_in_error_reason",
            field=models.TextField(
                blank=True,
                validators=[django.core.validators.MaxLengthValidator(32767)],
                verbose_name="why it was entered in error",
            ),
        ),
        migrations.AddField(
            model_name="historicalhazard",
            name="entered_in_error",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="historicalhazard",
            name="entered_in_error_reason",
            field=models.TextField(
                blank=True,
                validators=[django.core.validators.MaxLengthValidator(32767)],
                verbose_name="why it was entered in error",
            ),
        ),
        migrations.AddConstraint(
            model_name="hazard",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("entered_in_error", False),
                    models.Q(("entered_in_error_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="hazard_entered_in_error_has_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="hazard",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("entered_in_error_reason"), 32767
                ),
                name="hazard_entered_in_error_reason_fits_a_cell",
            ),
        ),
        migrations.RunPython(_on_sqlite(SQLITE_CREATE), _on_sqlite(SQLITE_DROP)),
    ]
