"""A database trigger behind the rule that an assessment's severity, likelihood and rating come from
its log's own matrix, and that the stored rating is the matrix cell's. Django has no composite foreign
keys, so a CHECK constraint cannot express this; a trigger can, on both SQLite and PostgreSQL.
"""

from django.db import migrations

MESSAGE = "risk assessment must use the severity, likelihood and rating of its log''s own risk matrix"

# The condition under which a row is refused; NEW is the assessment being written.
MISMATCH = """
    (SELECT l.matrix_id FROM hazardlog_hazard h JOIN hazardlog_hazardlog l ON l.id = h.log_id
      WHERE h.id = NEW.hazard_id) IS DISTINCT FROM (SELECT matrix_id FROM hazardlog_severitylevel WHERE id = NEW.severity_id)
    OR (SELECT matrix_id FROM hazardlog_severitylevel WHERE id = NEW.severity_id)
       IS DISTINCT FROM (SELECT matrix_id FROM hazardlog_likelihoodlevel WHERE id = NEW.likelihood_id)
    OR (SELECT rating_id FROM hazardlog_riskcell
         WHERE severity_id = NEW.severity_id AND likelihood_id = NEW.likelihood_id) IS DISTINCT FROM NEW.rating_id
"""

SQLITE_CREATE = [
    f"""
    CREATE TRIGGER hazardlog_assessment_matrix_{event.lower()}
    BEFORE {event} ON hazardlog_riskassessment
    WHEN {MISMATCH.replace("IS DISTINCT FROM", "IS NOT")}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """
    for event in ("INSERT", "UPDATE")
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS hazardlog_assessment_matrix_{event}" for event in ("insert", "update")]

POSTGRES_CREATE = [
    f"""
    CREATE FUNCTION hazardlog_assessment_matrix_check() RETURNS trigger AS $$
    BEGIN
      IF {MISMATCH} THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER hazardlog_assessment_matrix
    BEFORE INSERT OR UPDATE ON hazardlog_riskassessment
    FOR EACH ROW EXECUTE FUNCTION hazardlog_assessment_matrix_check();
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS hazardlog_assessment_matrix ON hazardlog_riskassessment",
    "DROP FUNCTION IF EXISTS hazardlog_assessment_matrix_check()",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("hazardlog", "0002_nhs_risk_matrix")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
