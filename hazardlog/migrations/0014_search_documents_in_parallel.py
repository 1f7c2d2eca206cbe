"""An import's new hazards get their full-text documents computed by parallel workers (PostgreSQL only).

Migration 0012's row trigger computes a hazard's document when its revision is set, one hazard after another:
for a 5,000-hazard import, 5,000 documents of about 2 KB of text each, a quarter of the command's time
(bench/import_command.py). The import now computes them in one SELECT that PostgreSQL can spread over parallel
workers, and sets each with the revision (hazardlog.imports._set_revision). For that:
- `hazardlog_search_document` is marked PARALLEL SAFE (it only reads);
- the row trigger keeps a document given on the one update that takes a hazard from revision 0 (only an
  import's own new hazards have it, inside its transaction) to another revision; any other write computes
  the document as before.
"""

import importlib

from django.db import migrations

run = importlib.import_module("hazardlog.migrations.0003_assessment_matrix_trigger").run

TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION hazardlog_search_hazard() RETURNS trigger AS $$
BEGIN
  -- A hazard an import is still writing (revision 0, migration 0013) is indexed once, when its revision is
  -- set; the import may give its document then, computed in parallel (migration 0014).
  IF NEW.revision <> 0 AND NOT (
    TG_OP = 'UPDATE' AND OLD.revision = 0 AND NEW.search_document IS DISTINCT FROM OLD.search_document
  ) THEN
    NEW.search_document := hazardlog_search_document(NEW);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
TRIGGER_FUNCTION_0012 = """
CREATE OR REPLACE FUNCTION hazardlog_search_hazard() RETURNS trigger AS $$
BEGIN
  IF NEW.revision <> 0 THEN
    NEW.search_document := hazardlog_search_document(NEW);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
POSTGRES_FORWARD = ["ALTER FUNCTION hazardlog_search_document(hazardlog_hazard) PARALLEL SAFE", TRIGGER_FUNCTION]
POSTGRES_REVERSE = ["ALTER FUNCTION hazardlog_search_document(hazardlog_hazard) PARALLEL UNSAFE", TRIGGER_FUNCTION_0012]


class Migration(migrations.Migration):
    dependencies = [("hazardlog", "0013_import_one_pass")]

    operations = [
        migrations.RunPython(run({"postgresql": POSTGRES_FORWARD}), run({"postgresql": POSTGRES_REVERSE})),
    ]
