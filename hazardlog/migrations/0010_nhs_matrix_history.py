"""The NHS risk matrix that migration 0002 created gets the history rows its creation would have written.

Migration models write no history, so on a database set up by `migrate` alone the matrix, its levels,
ratings and cells had none, and `verify_integrity` rightly named each of them. Rows that already have
history (written by `load_demo`, or by the app) are left alone; nothing existing is changed.
"""

from django.db import migrations
from django.utils import timezone

MODELS = ("RiskMatrix", "SeverityLevel", "LikelihoodLevel", "RiskRating", "RiskCell")
REASON = "Created with the database (migration 0002: the NHS risk matrix)"


def write_creation_history(apps, schema_editor):
    now = timezone.now()
    for name in MODELS:
        model = apps.get_model("hazardlog", name)
        historical = apps.get_model("hazardlog", f"Historical{name}")
        recorded = set(historical.objects.values_list("id", flat=True))
        tracked = [field.attname for field in historical._meta.concrete_fields if not field.name.startswith("history")]
        historical.objects.bulk_create(  # untracked: a history table, which has no history of its own
            historical(
                **{attname: getattr(row, attname) for attname in tracked},
                history_date=now,
                history_type="+",
                history_change_reason=REASON,
            )
            for row in model.objects.exclude(pk__in=recorded)
        )


class Migration(migrations.Migration):
    dependencies = [("hazardlog", "0009_hazard_entered_in_error")]

    # Not reversed: history is never deleted (DCB0129 3.1).
    operations = [migrations.RunPython(write_creation_history, migrations.RunPython.noop)]
