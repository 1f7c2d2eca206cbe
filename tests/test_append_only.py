"""The audit trail is append-only below the ORM helpers too (DCB0129 3.1): QuerySet.update() refuses on
tracked models, PostgreSQL refuses UPDATE and DELETE of history rows and approved issues, an altered
approved issue is not served, and simple-history's commands that delete history refuse."""

import json
import logging
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from simple_history.utils import bulk_update_with_history

from hazardlog import issues
from hazardlog.models import (
    Cause,
    Control,
    Hazard,
    HazardLog,
    LikelihoodLevel,
    Membership,
    RiskAssessment,
    RiskCell,
    RiskMatrix,
    RiskRating,
    Role,
    SeverityLevel,
)
from hazardlog.models.base import WriteWithoutHistoryRefused
from safetycase.models import RelatedDocument, Review, SafetyCase, Signatory, TestIssue
from tests import factories, upstream_data
from upstream.models import Evaluation, TransferDecision, UpstreamSource

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no such trigger (README)")


@pytest.fixture
def hazard(log):
    return factories.make_hazard(log, "H1")


# QuerySet.update() ----------------------------------------------------------------------------------


# A field of each tracked model, and a value that differs from some of the stored ones.
UPDATES = {
    HazardLog: ("owner", "Changed without history"),
    Hazard: ("owner", "Changed without history"),
    Cause: ("description", "Changed without history"),
    Control: ("owner", "Changed without history"),
    RiskAssessment: ("rationale", "Changed without history"),
    RiskMatrix: ("description", "Changed without history"),
    SeverityLevel: ("definition", "Changed without history"),
    LikelihoodLevel: ("definition", "Changed without history"),
    RiskRating: ("label", "Changed without history"),
    RiskCell: ("rating_id", lambda: RiskRating.objects.order_by("pk").values_list("pk", flat=True).first()),
    Membership: ("role", Role.CSO),
}


# Checked in tests/test_safetycase_pages.py and tests/test_safetycase_signing.py, where their rows are made.
SAFETY_CASE_MODELS = {SafetyCase, RelatedDocument, TestIssue, Signatory, Review}
# Written once at approval (or a report's first download), never changed: guarded like the issues.
FROZEN_TABLES = {"hazardlog_logissue", "safetycase_issuesignature", "safetycase_frozenreport"}
# The hand-off (upstream/, its migration 0002): its updates are checked in tests/test_upstream_history.py.
UPSTREAM_MODELS = {UpstreamSource, Evaluation, TransferDecision}
UPSTREAM_FROZEN = {"upstream_upstreamsource", "upstream_upstreamhazard"}


def test_every_tracked_model_is_checked():
    tracked = {model for model in apps.get_models() if hasattr(model._meta, "simple_history_manager_attribute")}
    assert tracked == set(UPDATES) | SAFETY_CASE_MODELS | UPSTREAM_MODELS


@pytest.mark.parametrize(("model", "field", "value"), [(model, *update) for model, update in UPDATES.items()])
def test_queryset_update_is_refused_on_tracked_models(hazard, user, model, field, value):
    Membership.objects.create(log=hazard.log, user=user, role=Role.EDITOR)
    value = value() if callable(value) else value
    stored = list(model.objects.order_by("pk").values_list(field, flat=True))
    assert stored != [value] * len(stored)  # the update would change something
    before = model.history.count()

    with pytest.raises(WriteWithoutHistoryRefused, match=r"QuerySet\.update\(\), which writes no history"):
        model.objects.all().update(**{field: value})
    records = list(model.objects.all())
    for record in records:
        setattr(record, field, value)
    with pytest.raises(WriteWithoutHistoryRefused), transaction.atomic():
        model.objects.bulk_update(records, [field])  # Django's bulk_update goes through update()

    assert list(model.objects.order_by("pk").values_list(field, flat=True)) == stored
    assert model.history.count() == before


def test_queryset_update_is_refused_through_related_managers(hazard):
    with pytest.raises(WriteWithoutHistoryRefused):
        hazard.causes.update(description="Changed without history")
    with pytest.raises(WriteWithoutHistoryRefused):
        hazard.log.hazards.filter(status="open").update(owner="Trust")
    assert set(hazard.causes.values_list("description", flat=True)) == {"Cause 1", "Cause 2"}


def test_the_escape_hatch_lets_bulk_update_with_history_write_both(hazard, admin_user):
    causes = list(hazard.causes.all())
    for cause in causes:
        cause.description = f"{cause.description}, reworded"

    bulk_update_with_history(
        causes,
        Cause,
        ["description"],
        manager=Cause.objects.history_written_by_caller(),
        default_user=admin_user,
        default_change_reason="Reworded at review",
    )

    assert set(hazard.causes.values_list("description", flat=True)) == {"Cause 1, reworded", "Cause 2, reworded"}
    latest = hazard.causes.first().history.first()
    assert (latest.description, latest.history_change_reason, latest.history_user) == (
        "Cause 1, reworded",
        "Reworded at review",
        admin_user,
    )


# Database triggers (PostgreSQL) -----------------------------------------------------------------------


def history_tables() -> set[str]:
    """Every django-simple-history table, the m2m history of Control.causes included."""
    return {model._meta.db_table for model in apps.get_models() if "_historical" in model._meta.db_table}


@on_postgresql
@pytest.mark.django_db
def test_every_history_table_and_the_issue_table_has_the_append_only_trigger():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%%_append_only'")
        guarded = {table for (table,) in cursor.fetchall()}
    assert len(history_tables()) == 20  # 12 hazard log, 5 safety case (its migrations 0002, 0003), 3 upstream (0002)
    assert history_tables() | FROZEN_TABLES | UPSTREAM_FROZEN == guarded


@on_postgresql
@pytest.mark.django_db
def test_the_migration_can_be_reversed():
    [operation] = import_module("hazardlog.migrations.0007_append_only_history").Migration.operations
    count = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'hazardlog%%_append_only'"
    with connection.schema_editor() as editor:
        operation.database_backwards("hazardlog", editor, None, None)
    with connection.cursor() as cursor:
        cursor.execute(count)
        assert cursor.fetchone() == (0,)
    with connection.schema_editor() as editor:
        operation.database_forwards("hazardlog", editor, None, None)
    with connection.cursor() as cursor:
        cursor.execute(count)
        assert cursor.fetchone() == (13,)


@pytest.fixture
def one_row_in_every_history_table(matrix, user):
    for record in (
        matrix,
        matrix.severity_levels.first(),
        matrix.likelihood_levels.first(),
        matrix.ratings.first(),
        matrix.cells.first(),
    ):
        record.save()
    log = factories.make_log(matrix=matrix)
    factories.make_hazard(log, "H1")
    log.memberships.create(user=user, role="cso")
    SafetyCase.objects.create(log=log, introduction="Scope")
    RelatedDocument.objects.create(log=log, title="CRMP")
    TestIssue.objects.create(log=log, reference="T1", description="Slow search")
    factories.make_signatory(user)
    Review.objects.create(log=log, reviewer=user, requested_by=user)
    upstream_data.one_of_each(user)
    return issues.approve_issue(log, "1.0", "Approved for release 1", user)


def refused(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except IntegrityError as error:
        assert "(DCB0129 3.1)" in str(error)
        return True
    return False


@on_postgresql
def test_postgresql_refuses_to_change_or_delete_history_rows_and_issues(one_row_in_every_history_table):
    tables = sorted(history_tables() | FROZEN_TABLES | UPSTREAM_FROZEN)
    for table in tables:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (table names from the app registry)
            assert cursor.fetchone()[0] > 0, table
    assert [t for t in tables if not refused(f"UPDATE {t} SET id = id")] == []  # noqa: S608
    assert [t for t in tables if not refused(f"DELETE FROM {t}")] == []  # noqa: S608


@on_postgresql
def test_the_message_names_the_table_and_the_rule(hazard):
    message = "DELETE on hazardlog_historicalhazard refused: history rows are never changed or deleted"
    with pytest.raises(IntegrityError, match=message), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM hazardlog_historicalhazard")


# An altered approved issue is not served ------------------------------------------------------------


@pytest.fixture
def issue(member_log, user):
    factories.make_hazard(member_log, "H1")
    return issues.approve_issue(member_log, "1.0", "Approved for release 4.2", user)


def alter_stored_issue(issue, column: str, value) -> None:
    """What someone with database access could do; on PostgreSQL only with the triggers switched off
    (which needs a superuser), and only for this test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"UPDATE hazardlog_logissue SET {column} = %s WHERE id = %s", [value, issue.pk])  # noqa: S608
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def altered_workbook(issue) -> bytes:
    content = bytearray(issue.workbook)
    content[len(content) // 2] ^= 1
    return bytes(content)


def altered_snapshot(issue) -> str:
    return json.dumps({**issue.snapshot, "hazards": []})


@pytest.fixture(params=["web", "admin"])
def download_url(request, client, user, admin_user):
    """The issue's download URL of the page (as its CSO) or of the admin (as staff)."""

    def url(issue, kind):
        if request.param == "web":
            client.force_login(user)
            return reverse("hazardlog:issue_download", args=[issue.log_id, issue.pk, kind])
        client.force_login(admin_user)
        return reverse("admin:hazardlog_logissue_download", args=[issue.pk, kind])

    return url


@pytest.mark.parametrize(
    ("kind", "column", "value"),
    [
        ("workbook", "workbook", altered_workbook),
        ("json", "snapshot", altered_snapshot),
    ],
)
def test_an_altered_issue_is_refused_and_logged(client, issue, download_url, caplog, kind, column, value):
    url = download_url(issue, kind)
    assert client.get(url).status_code == 200
    alter_stored_issue(issue, column, value(issue))

    with caplog.at_level(logging.CRITICAL, logger="hazardlog.web.change"):
        response = client.get(url)

    assert response.status_code == 409
    page = response.content.decode()
    assert "<h1>This issue's stored file has been altered</h1>" in page
    assert f"issue {issue.number} no longer matches the SHA-256 recorded when it was approved" in page
    recorded = issue.workbook_sha256 if kind == "workbook" else issue.snapshot_sha256
    assert recorded in page
    assert "X-Content-SHA256" not in response.headers
    [record] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert f"Approved issue id={issue.pk} " in record.getMessage()
    assert recorded in record.getMessage()


@on_postgresql
def test_postgresql_refuses_the_alteration_itself(issue):
    assert refused(f"UPDATE hazardlog_logissue SET workbook = '' WHERE id = {issue.pk}")  # noqa: S608


# No command deletes history ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "options"),
    [("clean_old_history", ["--auto", "--days", "0"]), ("clean_duplicate_history", ["--auto"])],
)
def test_the_commands_that_delete_history_refuse(hazard, command, options):
    hazard.save()  # an unchanged save: a "duplicate" for clean_duplicate_history
    before = Hazard.history.count()

    with pytest.raises(CommandError, match=r"kept for the life of the system \(DCB0129 3\.1\)"):
        call_command(command, *options)

    assert get_commands()[command] == "hazardlog"
    assert Hazard.history.count() == before
