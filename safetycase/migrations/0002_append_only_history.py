"""The safety case's history is append-only on PostgreSQL, as the hazard log's is (hazardlog migration 0007
says why SQLite cannot be). Its own trigger function, so that either migration can be reversed alone."""

from importlib import import_module

from django.db import migrations

RunSQLOnPostgreSQL = import_module("hazardlog.migrations.0007_append_only_history").RunSQLOnPostgreSQL

HISTORY_TABLES = [
    "safetycase_historicalsafetycase",
    "safetycase_historicalrelateddocument",
    "safetycase_historicaltestissue",
]

CREATE = [
    """
    CREATE FUNCTION safetycase_refuse_change() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION '% on % refused: history rows are never changed or deleted (DCB0129 3.1)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION safetycase_refuse_change();"
        for table in HISTORY_TABLES
    ),
]
DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in HISTORY_TABLES),
    "DROP FUNCTION IF EXISTS safetycase_refuse_change()",
]


class Migration(migrations.Migration):
    dependencies = [("safetycase", "0001_initial")]

    operations = [RunSQLOnPostgreSQL(CREATE, DROP)]
