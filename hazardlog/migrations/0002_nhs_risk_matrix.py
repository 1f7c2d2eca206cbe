"""Every database has the NHS DCB0129/DCB0160 risk matrix after `migrate` alone."""

from django.db import migrations

from hazardlog import nhs_matrix


def create_matrix(apps, schema_editor):
    if not apps.get_model("hazardlog", "RiskMatrix").objects.filter(name=nhs_matrix.NAME).exists():
        nhs_matrix.load(apps)


class Migration(migrations.Migration):
    dependencies = [("hazardlog", "0001_initial")]

    operations = [migrations.RunPython(create_matrix, migrations.RunPython.noop)]
