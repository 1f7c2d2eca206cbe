"""One revision for a hazard and everything under it.

`Hazard.revision` is what an open editor page carries: a save from a page opened at an older revision
meets the conflict page. Any write to a hazard's causes, controls, risk assessments or control–cause
links moves the hazard's revision in the same transaction, whatever made it (the editor, the workbook
import, the admin, the admin's data import, or SQL), so that no path can slip past that check.

The revision is a concurrency token, not clinical data: the database moves it without a history row;
the change that moved it has its own history row (causes, controls and assessments are all tracked).

SQLite has row-level triggers only. PostgreSQL uses statement-level triggers with transition tables,
so an import that writes thousands of rows moves each hazard once per statement, not once per row.
"""

import importlib

from django.db import migrations

# The vendor switch of the first trigger migration.
run = importlib.import_module("hazardlog.migrations.0003_assessment_matrix_trigger").run

# Tables under a hazard, with the expression giving the hazard id of a row `R`.
CHILDREN = {
    "hazardlog_cause": "R.hazard_id",
    "hazardlog_control": "R.hazard_id",
    "hazardlog_riskassessment": "R.hazard_id",
    "hazardlog_control_causes": "(SELECT c.hazard_id FROM hazardlog_control c WHERE c.id = R.control_id)",
}
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _name(table: str, event: str) -> str:
    return f"hazardlog_revision_{table.removeprefix('hazardlog_')}_{event.lower()}"


def _rows(event: str) -> list[str]:
    return {"INSERT": ["NEW"], "UPDATE": ["OLD", "NEW"], "DELETE": ["OLD"]}[event]


SQLITE_CREATE = [
    f"""
    CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table}
    BEGIN
      UPDATE hazardlog_hazard SET revision = revision + 1
       WHERE id IN ({", ".join(hazard.replace("R.", f"{row}.") for row in _rows(event))});
    END;
    """
    for table, hazard in CHILDREN.items()
    for event in EVENTS
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {_name(table, event)}" for table in CHILDREN for event in EVENTS]

_TRANSITION = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
_TRANSITION["DELETE"] = "OLD TABLE AS old_rows"


def _function(table: str, event: str) -> str:
    selects = " UNION ".join(
        f"SELECT {CHILDREN[table].replace('R.', 'r.')} FROM {row.lower()}_rows r" for row in _rows(event)
    )
    return f"""
    CREATE FUNCTION {_name(table, event)}() RETURNS trigger AS $$
    BEGIN
      UPDATE hazardlog_hazard SET revision = revision + 1 WHERE id IN ({selects});
      RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """


POSTGRES_CREATE = [
    statement
    for table in CHILDREN
    for event in EVENTS
    for statement in (
        _function(table, event),
        f"""
        CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table}
        REFERENCING {_TRANSITION[event]}
        FOR EACH STATEMENT EXECUTE FUNCTION {_name(table, event)}();
        """,
    )
]
POSTGRES_DROP = [
    statement
    for table in CHILDREN
    for event in EVENTS
    for statement in (
        f"DROP TRIGGER IF EXISTS {_name(table, event)} ON {table}",
        f"DROP FUNCTION IF EXISTS {_name(table, event)}()",
    )
]
TRIGGER_NAMES = [_name(table, event) for table in CHILDREN for event in EVENTS]


class Migration(migrations.Migration):
    dependencies = [("hazardlog", "0007_append_only_history")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
