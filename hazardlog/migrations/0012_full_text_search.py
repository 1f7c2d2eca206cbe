"""Full-text search of hazards with their causes, controls and evidence (hazardlog/search.py queries it).

Each hazard's searchable text is five parts: its reference (with the numbers of its sort text split
off, so "12" finds H12 and EPMA-012), its name, its description with clinical impact and actions, its
current causes, and its current controls with their evidence. Withdrawn causes and controls are left out.

- SQLite: an FTS5 external-content table `hazardlog_search` over the view `hazardlog_search_content`
  (rowid = hazard id). Triggers keep it in step with every write to hazards, causes and controls: a
  BEFORE trigger removes the hazard's indexed text (as the view shows it before the write) and an AFTER
  trigger adds it again (as the view shows it after). SQLite refuses to rename a table that a view names,
  so a later migration that rebuilds hazardlog_hazard, hazardlog_cause or hazardlog_control runs
  SQLITE_DROP before and SQLITE_CREATE after (which rebuilds the index), as 0009 does for 0003 and 0008.
  A hazard at revision 0 (one an import is still writing, migration 0013) is left out of the view, and
  indexed once when its revision is set.
- PostgreSQL: a `search_document` tsvector column on hazardlog_hazard (weights: reference and name A,
  details B, causes and controls C) with a GIN index, set by a row trigger on the hazard and by statement
  triggers (transition tables) on causes and controls; a pg_trgm GIN index on the reference key for
  partial references. The column is the database's, not the model's: no form or export sees it.
"""

import importlib

from django.db import migrations

run = importlib.import_module("hazardlog.migrations.0003_assessment_matrix_trigger").run

# On both databases, for the pages that must cost the same whatever the log's size (`make load`): the
# list's count, the matrix page's join and the owner choices read these instead of every hazard's row,
# and the hazards entered in error are found without reading the others.
INDEXES = [
    "CREATE INDEX hazardlog_hazard_listed ON hazardlog_hazard (log_id, id) WHERE NOT entered_in_error",
    "CREATE INDEX hazardlog_hazard_owners ON hazardlog_hazard (log_id, owner) WHERE NOT entered_in_error",
    "CREATE INDEX hazardlog_hazard_in_error ON hazardlog_hazard (log_id, reference_sort) WHERE entered_in_error",
]
INDEXES_DROP = [
    "DROP INDEX IF EXISTS hazardlog_hazard_in_error",
    "DROP INDEX IF EXISTS hazardlog_hazard_owners",
    "DROP INDEX IF EXISTS hazardlog_hazard_listed",
]

# Characters the highlighter marks matches with: removed from the text it highlights.
MARKS = ("\x01", "\x02")

# --- SQLite ----------------------------------------------------------------------------------------

COLUMNS = ("reference", "name", "details", "causes", "controls")


def _unmarked(sql: str) -> str:
    return f"replace(replace({sql}, char(1), ''), char(2), '')"


# The sort text ("h0000000012") with its digit runs set apart: "h 0000000012".
_SPLIT_SORT = """(WITH RECURSIVE s(i, out) AS (
    SELECT 1, ''
    UNION ALL
    SELECT i + 1, out || CASE WHEN i > 1 AND (substr(h.reference_sort, i, 1) GLOB '[0-9]')
                                 != (substr(h.reference_sort, i - 1, 1) GLOB '[0-9]') THEN ' ' ELSE '' END
                      || substr(h.reference_sort, i, 1)
      FROM s WHERE i <= length(h.reference_sort))
  SELECT out FROM s ORDER BY i DESC LIMIT 1)"""

_CAUSES = (
    "coalesce((SELECT group_concat(description, char(10)) FROM (SELECT description FROM hazardlog_cause"
    " WHERE hazard_id = h.id AND NOT withdrawn ORDER BY number)), '')"
)
_CONTROLS = (
    "coalesce((SELECT group_concat(text, char(10)) FROM (SELECT description || char(10) || evidence AS text"
    " FROM hazardlog_control WHERE hazard_id = h.id AND NOT withdrawn ORDER BY number)), '')"
)
_DETAILS = "h.description || char(10) || h.clinical_impact || char(10) || h.actions"
SQLITE_VIEW = f"""
CREATE VIEW hazardlog_search_content AS
SELECT h.id AS id,
       h.reference || ' ' || {_SPLIT_SORT} AS reference,
       {_unmarked("h.name")} AS name,
       {_unmarked(_DETAILS)} AS details,
       {_unmarked(_CAUSES)} AS causes,
       {_unmarked(_CONTROLS)} AS controls
  FROM hazardlog_hazard h
 WHERE h.revision <> 0
"""

SQLITE_TABLE = f"""
CREATE VIRTUAL TABLE hazardlog_search USING fts5(
  {", ".join(COLUMNS)},
  content='hazardlog_search_content', content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2', prefix='2 3'
)
"""


def _remove(hazard_ids: str) -> str:
    return (
        f"INSERT INTO hazardlog_search(hazardlog_search, rowid, {', '.join(COLUMNS)}) "
        f"SELECT 'delete', id, {', '.join(COLUMNS)} FROM hazardlog_search_content WHERE id IN ({hazard_ids});"
    )


def _add(hazard_ids: str) -> str:
    return (
        f"INSERT INTO hazardlog_search(rowid, {', '.join(COLUMNS)}) "
        f"SELECT id, {', '.join(COLUMNS)} FROM hazardlog_search_content WHERE id IN ({hazard_ids});"
    )


def _trigger(name: str, when: str, event: str, table: str, body: str, condition: str = "") -> str:
    condition = f"WHEN {condition}" if condition else ""
    return f"CREATE TRIGGER hazardlog_search_{name} {when} {event} ON {table} {condition} BEGIN {body} END"


_HAZARD_COLUMNS = "reference, reference_sort, name, description, clinical_impact, actions"
_CHILD_COLUMNS = {
    "hazardlog_cause": "hazard_id, number, description, withdrawn",
    "hazardlog_control": "hazard_id, number, description, evidence, withdrawn",
}
_ROWS = {"INSERT": "NEW.hazard_id", "UPDATE": "OLD.hazard_id, NEW.hazard_id", "DELETE": "OLD.hazard_id"}

SQLITE_TRIGGERS = [
    _trigger("hazard_insert", "AFTER", "INSERT", "hazardlog_hazard", _add("NEW.id")),
    _trigger("hazard_update_before", "BEFORE", f"UPDATE OF {_HAZARD_COLUMNS}", "hazardlog_hazard", _remove("OLD.id")),
    _trigger(
        "hazard_update_after",
        "AFTER",
        f"UPDATE OF {_HAZARD_COLUMNS}",
        "hazardlog_hazard",
        _add("NEW.id"),
        "OLD.revision <> 0",
    ),
    # A hazard an import is creating (revision 0 until its rows are written, migration 0013) is indexed
    # once, when its revision is set, rather than again for each of its causes and controls.
    _trigger("hazard_revision", "AFTER", "UPDATE OF revision", "hazardlog_hazard", _add("NEW.id"), "OLD.revision = 0"),
    _trigger("hazard_delete", "BEFORE", "DELETE", "hazardlog_hazard", _remove("OLD.id")),
    *[
        _trigger(
            f"{table.removeprefix('hazardlog_')}_{event.lower()}_{when.lower()}",
            when,
            f"UPDATE OF {columns}" if event == "UPDATE" else event,
            table,
            (_remove if when == "BEFORE" else _add)(_ROWS[event]),
        )
        for table, columns in _CHILD_COLUMNS.items()
        for event in ("INSERT", "UPDATE", "DELETE")
        for when in ("BEFORE", "AFTER")
    ],
]
SQLITE_TRIGGER_NAMES = [statement.split()[2] for statement in SQLITE_TRIGGERS]

# Around a later rebuild of the hazard, cause or control table (see the docstring).
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES),
    "DROP VIEW IF EXISTS hazardlog_search_content",
]
SQLITE_CREATE = [SQLITE_VIEW, *SQLITE_TRIGGERS, "INSERT INTO hazardlog_search(hazardlog_search) VALUES ('rebuild')"]

SQLITE_FORWARD = [SQLITE_TABLE, *SQLITE_CREATE, *INDEXES]
SQLITE_BACKWARD = [*INDEXES_DROP, *SQLITE_DROP, "DROP TABLE IF EXISTS hazardlog_search"]

# --- PostgreSQL ------------------------------------------------------------------------------------

CONFIG = "english"

POSTGRES_DOCUMENT = f"""
CREATE FUNCTION hazardlog_search_document(h hazardlog_hazard) RETURNS tsvector LANGUAGE sql STABLE AS $$
  SELECT setweight(to_tsvector('{CONFIG}', h.reference || ' ' || regexp_replace(h.reference_sort, '([0-9]+)', ' \\1 ', 'g')), 'A')
      || setweight(to_tsvector('{CONFIG}', h.name), 'A')
      || setweight(to_tsvector('{CONFIG}', concat_ws(' ', h.description, h.clinical_impact, h.actions)), 'B')
      || setweight(to_tsvector('{CONFIG}', coalesce((
           SELECT string_agg(c.description, ' ' ORDER BY c.number) FROM hazardlog_cause c
            WHERE c.hazard_id = h.id AND NOT c.withdrawn), '')), 'C')
      || setweight(to_tsvector('{CONFIG}', coalesce((
           SELECT string_agg(concat_ws(' ', k.description, k.evidence), ' ' ORDER BY k.number) FROM hazardlog_control k
            WHERE k.hazard_id = h.id AND NOT k.withdrawn), '')), 'C')
$$
"""

_TRANSITION = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
_TRANSITION_ROWS = {"INSERT": ["new_rows"], "UPDATE": ["old_rows", "new_rows"], "DELETE": ["old_rows"]}


def _child_name(table: str, event: str) -> str:
    return f"hazardlog_search_{table.removeprefix('hazardlog_')}_{event.lower()}"


def _child_function(table: str, event: str) -> str:
    hazards = " UNION ".join(f"SELECT hazard_id FROM {rows}" for rows in _TRANSITION_ROWS[event])
    return f"""
    CREATE FUNCTION {_child_name(table, event)}() RETURNS trigger AS $$
    BEGIN
      UPDATE hazardlog_hazard h SET search_document = hazardlog_search_document(h)
       WHERE h.id IN ({hazards}) AND h.revision <> 0;
      RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """


POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE hazardlog_hazard ADD COLUMN search_document tsvector NOT NULL DEFAULT ''::tsvector",
    POSTGRES_DOCUMENT,
    """
    CREATE FUNCTION hazardlog_search_hazard() RETURNS trigger AS $$
    BEGIN
      -- A hazard an import is still writing (revision 0, migration 0013) is indexed once, when its revision is
      -- set, rather than again for each statement that writes its causes and controls.
      IF NEW.revision <> 0 THEN
        NEW.search_document := hazardlog_search_document(NEW);
      END IF;
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER hazardlog_search_hazard BEFORE INSERT OR UPDATE OF {_HAZARD_COLUMNS}, revision ON hazardlog_hazard
    FOR EACH ROW EXECUTE FUNCTION hazardlog_search_hazard()
    """,
    *[
        statement
        for table in _CHILD_COLUMNS
        for event in ("INSERT", "UPDATE", "DELETE")
        for statement in (
            _child_function(table, event),
            f"""
            CREATE TRIGGER {_child_name(table, event)} AFTER {event} ON {table}
            REFERENCING {_TRANSITION[event]}
            FOR EACH STATEMENT EXECUTE FUNCTION {_child_name(table, event)}()
            """,
        )
    ],
    "UPDATE hazardlog_hazard h SET search_document = hazardlog_search_document(h)",
    "CREATE INDEX hazardlog_hazard_search_document ON hazardlog_hazard USING gin (search_document)",
    "CREATE INDEX hazardlog_hazard_reference_trgm ON hazardlog_hazard USING gin (reference_key gin_trgm_ops)",
    *INDEXES,
]
POSTGRES_TRIGGER_NAMES = [
    "hazardlog_search_hazard",
    *(_child_name(table, event) for table in _CHILD_COLUMNS for event in ("INSERT", "UPDATE", "DELETE")),
]
POSTGRES_BACKWARD = [
    *INDEXES_DROP,
    "DROP INDEX IF EXISTS hazardlog_hazard_reference_trgm",
    "DROP INDEX IF EXISTS hazardlog_hazard_search_document",
    *(
        statement
        for table in _CHILD_COLUMNS
        for event in ("INSERT", "UPDATE", "DELETE")
        for statement in (
            f"DROP TRIGGER IF EXISTS {_child_name(table, event)} ON {table}",
            f"DROP FUNCTION IF EXISTS {_child_name(table, event)}()",
        )
    ),
    "DROP TRIGGER IF EXISTS hazardlog_search_hazard ON hazardlog_hazard",
    "DROP FUNCTION IF EXISTS hazardlog_search_hazard()",
    "DROP FUNCTION IF EXISTS hazardlog_search_document(hazardlog_hazard)",
    "ALTER TABLE hazardlog_hazard DROP COLUMN IF EXISTS search_document",
    # pg_trgm stays: other objects may have come to use it.
]


class Migration(migrations.Migration):
    dependencies = [("hazardlog", "0011_workbook_kept_in_full")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
