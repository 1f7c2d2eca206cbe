"""The import's plan kept between its preview and its confirm; fresh hazards of an import skip the revision.

- `ImportRecord.plan`: what the preview read (hazardlog/imports.py), so that confirming applies it without
  reading the workbook again (after checking the kept upload's SHA-256 and the log's fingerprint).
- The revision triggers of migration 0008 move a hazard's revision with an UPDATE of the hazard row: on
  SQLite once per row written under it (a 5,000-hazard import writes 75,000 such rows), on PostgreSQL once
  per statement for every hazard the statement wrote under (each such UPDATE rewrote hundreds of hazard rows
  and their index entries). They now leave alone a hazard whose revision is 0, which only a hazard an import
  is creating has, inside the import's own transaction: the import inserts its new hazards with revision 0
  and sets them to 1 before it commits, and no other connection can write under a hazard that is not yet
  committed. Every other write still moves the revision, whatever its path. bench/import_command.py
  measures the difference. A later migration that rebuilds hazardlog_hazard or a child table on SQLite
  drops these with SQLITE_DROP and creates them again with SQLITE_CREATE from this module.
"""

import importlib

from django.db import migrations, models

_revision = importlib.import_module("hazardlog.migrations.0008_hazard_revision_covers_children")

SQLITE_DROP = _revision.SQLITE_DROP
SQLITE_CREATE = [
    statement.replace("WHERE id IN (", "WHERE revision <> 0 AND id IN (") for statement in _revision.SQLITE_CREATE
]
assert all("revision <> 0" in statement for statement in SQLITE_CREATE)  # noqa: S101 — the template changed
_FUNCTIONS = [s for s in _revision.POSTGRES_CREATE if s.strip().startswith("CREATE FUNCTION")]
POSTGRES_CREATE = [
    s.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").replace(
        "WHERE id IN (", "WHERE revision <> 0 AND id IN ("
    )
    for s in _FUNCTIONS
]
POSTGRES_REVERSE = [s.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION") for s in _FUNCTIONS]
assert len(POSTGRES_CREATE) == 12 and all("revision <> 0" in s for s in POSTGRES_CREATE)  # noqa: S101
run = importlib.import_module("hazardlog.migrations.0003_assessment_matrix_trigger").run


class Migration(migrations.Migration):
    dependencies = [
        ("hazardlog", "0012_full_text_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrecord",
            name="plan",
            field=models.BinaryField(
                blank=True, default=b"", help_text="The preview's plan, kept until confirmed or cancelled."
            ),
        ),
        migrations.RunPython(
            run({"sqlite": [*SQLITE_DROP, *SQLITE_CREATE], "postgresql": POSTGRES_CREATE}),
            run({"sqlite": [*SQLITE_DROP, *_revision.SQLITE_CREATE], "postgresql": POSTGRES_REVERSE}),
        ),
    ]
