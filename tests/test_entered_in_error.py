"""A hazard entered in error: kept with its history, marked with a reason by the CSO, and no part of the
log's documents, list or counts; its number stays taken."""

import io

import openpyxl
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from hazardlog import issues, services
from hazardlog.imports import preview_import
from hazardlog.models import Hazard, ImportStatus, Membership, Role
from hazardlog.snapshot import build_snapshot
from hazardlog.spreadsheet import export_data
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories
from tests.import_files import hazard_row, workbook


@pytest.fixture
def marked(member_log, user):
    factories.make_hazard(member_log, "H1", name="Wrong patient record displayed")
    mistake = factories.make_hazard(member_log, "H2", name="Half-typ")
    assert services.mark_entered_in_error(mistake, user, "Saved half-typed")
    return Hazard.objects.get(pk=mistake.pk)


def test_marking_keeps_the_hazard_and_records_who_and_why(marked, user):
    assert marked.entered_in_error and marked.entered_in_error_reason == "Saved half-typed"
    latest = marked.history.first()
    assert (latest.history_user, latest.history_change_reason, latest.entered_in_error) == (
        user,
        "Saved half-typed",
        True,
    )
    assert not services.mark_entered_in_error(marked, user, "Again")  # already so: nothing written
    assert marked.history.count() == latest.__class__.objects.filter(id=marked.pk).count()


def test_the_database_refuses_a_mark_without_a_reason(marked):
    with pytest.raises(IntegrityError), transaction.atomic():
        Hazard.objects.filter(pk=marked.pk).history_written_by_caller().update(entered_in_error_reason="")


def test_it_is_left_out_of_the_workbook_the_data_export_and_issues(marked, member_log, user):
    assert [row.reference for row in build_snapshot(member_log).hazards] == ["H1"]
    sheet = openpyxl.load_workbook(io.BytesIO(write_nhs_workbook(build_snapshot(member_log))))["Hazard Log"]
    assert "Half-typ" not in [cell.value for row in sheet.iter_rows() for cell in row]
    assert b"Half-typ" not in export_data(member_log, "csv")
    issue = issues.approve_issue(member_log, "1.0", "Approved for release", user)
    assert [hazard["reference"] for hazard in issue.snapshot["hazards"]] == ["H1"]


def test_it_is_left_out_of_the_list_and_the_counts_but_listed_apart(marked, member_log, client, user):
    client.force_login(user)
    page = client.get(reverse("hazardlog:log_detail", args=[member_log.pk]))
    assert [row.hazard.reference for row in page.context["rows"]] == ["H1"]
    assert [hazard.reference for hazard in page.context["entered_in_error"]] == ["H2"]
    assert "1 hazard entered in error, not listed" in page.content.decode()
    [summary] = client.get(reverse("hazardlog:log_list")).context["logs"]
    assert summary.total == 1
    assert sum(count for _, count in summary.by_status) == 1


def test_its_number_cannot_be_imported_as_a_new_hazard(marked, member_log, user):
    record = preview_import(member_log, "log.xlsx", workbook([hazard_row("H2", name="Another hazard")]), user)
    assert record.status == ImportStatus.REFUSED
    [message] = [m for m in record.report["messages"] if m["level"] == "error"]
    assert "belongs to hazard H2, which was marked as entered in error" in message["message"]
    assert (message["row"], message["column"]) == (2, "A")


def test_a_number_taken_by_a_hazard_entered_in_error_after_the_preview_refuses_the_confirm(member_log, user):
    """The preview's plan creates H3; meanwhile H3 is written and marked entered in error (no part of the log's
    snapshot, but its number is taken): confirming says the log changed, rather than failing in the database."""
    from hazardlog.imports import ImportRefused, confirm_import

    factories.make_hazard(member_log, "H1")
    rows = [hazard_row("H1", name="Wrong patient record displayed"), hazard_row("H3", name="New hazard")]
    record = preview_import(member_log, "log.xlsx", workbook(rows), user)
    assert record.status == ImportStatus.PREVIEWED
    assert services.mark_entered_in_error(factories.make_hazard(member_log, "H3"), user, "Saved half-typed")
    with pytest.raises(ImportRefused, match="The log has changed since this preview"):
        confirm_import(record, user)


def test_only_the_cso_marks_a_hazard_and_a_reason_is_required(marked, member_log, client, django_user_model):
    hazard = factories.make_hazard(member_log, "H3")
    url = reverse("hazardlog:hazard_entered_in_error", args=[member_log.pk, hazard.pk])
    editor = django_user_model.objects.create_user("editor", password="a long enough password")
    Membership.objects.create(log=member_log, user=editor, role=Role.EDITOR)
    client.force_login(editor)
    assert client.post(url, {"mark": "True", "reason": "Mine"}).status_code == 403
    cso = Membership.objects.get(log=member_log, role=Role.CSO).user
    client.force_login(cso)
    response = client.post(url, {"mark": "True", "reason": ""})
    assert response.status_code == 400
    assert "Enter why the hazard was entered in error" in response.content.decode()
    assert not Hazard.objects.get(pk=hazard.pk).entered_in_error
    assert client.post(url, {"mark": "True", "reason": "Duplicate of H1"}).status_code == 302
    assert Hazard.objects.get(pk=hazard.pk).entered_in_error


def test_a_second_submission_of_the_same_page_changes_nothing(marked, member_log, client, user):
    client.force_login(user)
    url = reverse("hazardlog:hazard_entered_in_error", args=[member_log.pk, marked.pk])
    before = marked.history.count()
    client.post(url, {"mark": "True", "reason": "Clicked twice"})
    assert marked.history.count() == before
    assert Hazard.objects.get(pk=marked.pk).entered_in_error_reason == "Saved half-typed"
