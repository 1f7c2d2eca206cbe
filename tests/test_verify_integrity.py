"""`manage.py verify_integrity`: every approved issue still matches its SHA-256, every tracked object has
history from its creation that agrees with it; otherwise a non-zero exit naming each object that is wrong."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from hazardlog import issues, nhs_matrix
from hazardlog.models import Cause, Hazard, LikelihoodLevel, RiskCell, RiskMatrix, RiskRating, SeverityLevel
from tests import factories


def test_a_database_set_up_by_migrate_alone_is_clean(db):
    """Migration 0002 creates the NHS matrix through migration models, which write no history; 0010 writes it."""
    assert RiskMatrix.objects.filter(name=nhs_matrix.NAME).exists()
    clean, output = verify()
    assert clean, output
    for model in (RiskMatrix, SeverityLevel, LikelihoodLevel, RiskRating, RiskCell):
        assert model.history.filter(history_type="+").count() == model.objects.count() > 0, model.__name__


@pytest.fixture
def issue(member_log, user):
    factories.make_hazard(member_log, "H1")
    factories.make_hazard(member_log, "H2", causes=3)
    return issues.approve_issue(member_log, "1.0", "Approved for release 4.2", user)


def verify() -> tuple[bool, str]:
    """(clean, what the command wrote)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_integrity", stdout=out, stderr=err)
    except CommandError as error:
        return False, err.getvalue() + str(error)
    return True, out.getvalue()


def flip_a_byte(content: bytes) -> bytes:
    return content[: len(content) // 2] + bytes([content[len(content) // 2] ^ 1]) + content[len(content) // 2 + 1 :]


def raw_sql(sql: str, params=()) -> None:
    """What someone with database access could do. On PostgreSQL approved issues are guarded by a trigger
    (migration 0007), switched off here for this test's transaction only."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def test_data_built_by_the_factories_is_clean(issue):
    hazard = Hazard.objects.get(reference="H1")
    assert Hazard.history.filter(id=hazard.pk).latest().revision != hazard.revision  # moved by its causes
    clean, output = verify()
    assert clean, output
    assert "Integrity verified" in output


def test_the_demo_data_is_clean(db):
    call_command("load_demo", username="demo", password="demo-hazard-log", stdout=None)
    clean, output = verify()
    assert clean, output


@pytest.mark.parametrize(
    ("column", "alter", "what"),
    [
        ("workbook", lambda issue: flip_a_byte(bytes(issue.workbook)), "its workbook does not match"),
        ("snapshot", lambda issue: '{"hazards": []}', "its snapshot does not match"),
    ],
)
def test_a_tampered_issue_is_named(issue, column, alter, what):
    raw_sql(f"UPDATE hazardlog_logissue SET {column} = %s WHERE id = %s", [alter(issue), issue.pk])
    clean, output = verify()
    assert not clean
    assert f"hazardlog.LogIssue {issue.pk}: {what} the SHA-256 recorded at approval" in output
    assert "1 problems" in output


def test_a_row_inserted_without_history_is_named(issue):
    hazard = Hazard.objects.get(reference="H1")
    raw_sql(
        "INSERT INTO hazardlog_cause (hazard_id, number, description, source_id, withdrawn, withdrawn_reason) "
        "VALUES (%s, 9, 'Inserted by SQL', '', %s, '')",
        [hazard.pk, False],
    )
    cause = Cause.objects.get(hazard=hazard, number=9)
    clean, output = verify()
    assert not clean
    assert f"hazardlog.Cause {cause.pk}: it has no history" in output


def test_a_row_changed_without_history_is_named(issue):
    hazard = Hazard.objects.get(reference="H2")
    raw_sql("UPDATE hazardlog_hazard SET owner = 'Changed by SQL' WHERE id = %s", [hazard.pk])
    clean, output = verify()
    assert not clean
    assert f"hazardlog.Hazard {hazard.pk}: it differs from its latest history row in owner" in output


def test_a_link_removed_without_history_is_named(issue):
    control = Hazard.objects.get(reference="H2").controls.get(number=2)
    raw_sql("DELETE FROM hazardlog_control_causes WHERE control_id = %s", [control.pk])
    clean, output = verify()
    assert not clean
    assert f"hazardlog.Control {control.pk}: it differs from its latest history row in causes" in output


def test_a_history_without_its_creation_row_is_named(issue):
    cause = Cause.objects.filter(hazard__reference="H1").first()
    cause.description = "Edited"
    cause.save()
    raw_sql("DELETE FROM hazardlog_historicalcause WHERE id = %s AND history_type = '+'", [cause.pk])
    clean, output = verify()
    assert not clean
    assert f"hazardlog.Cause {cause.pk}: its history has no row of its creation" in output
