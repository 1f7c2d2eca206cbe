"""The hand-off's history, and the manufacturer's files and hazard copies as brought in, are append-only on
PostgreSQL, as the hazard log's history and approved issues are (hazardlog migration 0007 says why SQLite
cannot be). Its own trigger function, so that either migration can be reversed alone."""

from importlib import import_module

from django.db import migrations

RunSQLOnPostgreSQL = import_module("hazardlog.migrations.0007_append_only_history").RunSQLOnPostgreSQL

TABLES = [
    "upstream_historicalupstreamsource",
    "upstream_historicalevaluation",
    "upstream_historicaltransferdecision",
    "upstream_upstreamsource",
    "upstream_upstreamhazard",
]

CREATE = [
    """
    CREATE FUNCTION upstream_refuse_change() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION '% on % refused: history rows and brought-in logs are never changed or deleted (DCB0129 3.1)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION upstream_refuse_change();"
        for table in TABLES
    ),
]
DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS upstream_refuse_change()",
]


class Migration(migrations.Migration):
    dependencies = [("upstream", "0001_initial")]

    operations = [RunSQLOnPostgreSQL(CREATE, DROP)]
