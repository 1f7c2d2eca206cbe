"""The audit trail is append-only in the database itself (DCB0129 3.1: the file is kept for the life of the
system): on PostgreSQL a trigger refuses UPDATE and DELETE of any history row and of any approved issue,
whatever the path — QuerySet.update(), raw SQL, a management command.

PostgreSQL only. SQLite has no way to switch a trigger off, and Django empties SQLite tables with DELETE
(the test flush, `manage.py flush`), which such a trigger would refuse; the README says what SQLite cannot
enforce. TRUNCATE is not refused (it fires no row trigger): that is how the tests empty tables on PostgreSQL,
and it needs the table owner's rights, which the app's database role should not have in production.
"""

from django.db import migrations

# Every django-simple-history table of the project (tests/test_append_only.py checks none is missing).
HISTORY_TABLES = [
    "hazardlog_historicalriskmatrix",
    "hazardlog_historicalseveritylevel",
    "hazardlog_historicallikelihoodlevel",
    "hazardlog_historicalriskrating",
    "hazardlog_historicalriskcell",
    "hazardlog_historicalhazardlog",
    "hazardlog_historicalmembership",
    "hazardlog_historicalhazard",
    "hazardlog_historicalcause",
    "hazardlog_historicalcontrol",
    "hazardlog_historicalcontrol_causes",
    "hazardlog_historicalriskassessment",
]
REASONS = dict.fromkeys(HISTORY_TABLES, "history rows are never changed or deleted")
REASONS["hazardlog_logissue"] = "an approved issue is never changed or deleted"

CREATE = [
    """
    CREATE FUNCTION hazardlog_refuse_change() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION '% on % refused: % (DCB0129 3.1)', TG_OP, TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    *(
        f"""
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION hazardlog_refuse_change('{reason}');
        """
        for table, reason in REASONS.items()
    ),
]
DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in REASONS),
    "DROP FUNCTION IF EXISTS hazardlog_refuse_change()",
]


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases (see above for SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("hazardlog", "0006_admin_import_upload")]

    operations = [RunSQLOnPostgreSQL(CREATE, DROP)]
