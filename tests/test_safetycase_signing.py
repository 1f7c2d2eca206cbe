"""The CSO's signature of an issue (DCB0129 3.5.2): signature details with history, re-authentication, the
reviews before approval, approving with findings only by saying why, and the report frozen at approval."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from docx import Document

from hazardlog import issues
from hazardlog.models import LogIssue, Membership, Role
from hazardlog.operations.integrity import find_problems
from hazardlog.workbook.writer import CSO_TITLE
from safetycase import signing
from safetycase.models import (
    FrozenRecordChanged,
    FrozenReport,
    IssueSignature,
    Review,
    ReviewOutcome,
    Signatory,
)
from safetycase.report import frozen_report
from tests import factories
from tests.safetycase_data import complete_log

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"  # the `user` fixture's
MEANING = "Approved for release 4.2"


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    texts = [paragraph.text for paragraph in document.paragraphs]
    texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(texts)


@pytest.fixture
def cso(user):
    factories.make_signatory(user, "GPhC", "2012345", "Lead Pharmacist")
    return user


@pytest.fixture
def draft(member_log):
    """A log with findings (the hazard's assessments have no rationale, no section is written)."""
    factories.make_hazard(member_log, "H1")
    return member_log


@pytest.fixture
def clean(user):
    """A log whose safety case passes every completeness check."""
    log = complete_log()
    Membership.objects.create(log=log, user=user, role=Role.CSO)
    return log


def member(log, django_user_model, username, role, **names):
    someone = django_user_model.objects.create_user(username, password=PASSWORD, **names)
    Membership.objects.create(log=log, user=someone, role=role)
    return someone


def approve_url(log) -> str:
    return reverse("hazardlog:issue_approve", args=[log.pk])


def nothing_written(log):
    assert not LogIssue.objects.filter(log=log).exists()
    assert not IssueSignature.objects.exists() and not FrozenReport.objects.exists()
    log.refresh_from_db()
    assert log.document_status != issues.APPROVED_STATUS


# Signature details --------------------------------------------------------------------------------------


def test_a_user_keeps_their_signature_details_with_history(client, user):
    client.force_login(user)
    url = reverse("safetycase:signature_details")
    assert "Your signature details" in client.get(url).text
    values = {"professional_body": " NMC ", "registration_number": "12A3456E", "job_title": "CNIO", "reason": "New"}
    assert client.post(url, values).status_code == 302
    signatory = Signatory.objects.get(user=user)
    assert (signatory.registration, signatory.job_title) == ("NMC 12A3456E", "CNIO")
    client.post(url, values | {"job_title": "Chief Nursing Information Officer", "reason": "Promoted"})
    rows = list(
        Signatory.objects.get(user=user).history.values_list("job_title", "history_user", "history_change_reason")
    )
    assert rows == [("Chief Nursing Information Officer", user.pk, "Promoted"), ("CNIO", user.pk, "New")]


def test_missing_signature_details_are_refused_naming_each_field(client, user):
    client.force_login(user)
    response = client.post(reverse("safetycase:signature_details"), {"professional_body": "  "})
    assert response.status_code == 400
    for message in (
        "Enter the professional body you are registered with",
        "Enter your registration number",
        "Enter your job title",
        "Enter the reason for the change",
    ):
        assert message in response.text
    assert not Signatory.objects.exists()


def test_signature_details_refuse_queryset_update(cso):
    from hazardlog.models.base import WriteWithoutHistoryRefused

    with pytest.raises(WriteWithoutHistoryRefused):
        Signatory.objects.update(job_title="Changed without history")
    with pytest.raises(WriteWithoutHistoryRefused):
        Review.objects.update(comments="Changed without history")


# Re-authentication -------------------------------------------------------------------------------------


def test_the_approval_page_asks_for_the_password(client, cso, draft):
    client.force_login(cso)
    page = client.get(approve_url(draft)).text
    assert 'type="password"' in page and 'name="password"' in page
    assert "Sign and approve this issue" in page


def test_signing_without_the_password_is_refused_with_the_message_on_the_field(client, cso, draft):
    client.force_login(cso)
    response = client.post(approve_url(draft), {"number": "1.0", "meaning": MEANING, "justification": "Known"})
    assert response.status_code == 400
    assert signing.NO_PASSWORD_MESSAGE in response.text
    assert 'href="#id_password"' in response.text  # the error summary links to the field
    nothing_written(draft)


def test_a_crafted_post_with_an_empty_or_wrong_password_is_refused(client, cso, draft):
    client.force_login(cso)
    for password in ("", "   ", "not-the-password", PASSWORD.upper()):
        fields = {"number": "1.0", "meaning": MEANING, "justification": "Known", "password": password}
        response = client.post(approve_url(draft), fields)
        assert response.status_code == 400, password
    assert signing.WRONG_PASSWORD_MESSAGE in response.text
    nothing_written(draft)


def test_the_service_records_whether_the_password_was_entered_again(client, cso, draft):
    client.force_login(cso)
    fields = {"number": "1.0", "meaning": MEANING, "justification": "Known", "password": PASSWORD}
    assert client.post(approve_url(draft), fields).status_code == 302
    signature = LogIssue.objects.get(log=draft).signature
    assert signature.password_confirmed
    factories.make_hazard(draft, "H2")
    # Code that calls the service itself (a command, a test) signs without it, and the record says so.
    assert not issues.approve_issue(draft, "1.1", MEANING, cso).signature.password_confirmed


def test_wrong_passwords_at_signing_count_as_failed_sign_ins_and_lock_like_them(client, cso, draft, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client.force_login(cso)
    wrong = {"number": "1.0", "meaning": MEANING, "justification": "Known", "password": "guess"}
    for _ in range(3):
        client.post(approve_url(draft), wrong)
    locked = client.post(approve_url(draft), wrong | {"password": PASSWORD})
    assert locked.status_code == 429  # the sign-in lock-out page: even the right password waits
    nothing_written(draft)


def test_without_registration_an_account_cannot_sign_and_the_page_says_where_to_enter_it(client, user, draft):
    client.force_login(user)
    page = client.get(approve_url(draft)).text
    assert reverse("safetycase:signature_details") in page and "You cannot sign yet" in page
    fields = {"number": "1.0", "meaning": MEANING, "justification": "Known", "password": PASSWORD}
    response = client.post(approve_url(draft), fields)
    assert response.status_code == 400 and "Enter your professional registration and job title" in response.text
    nothing_written(draft)


def test_only_the_cso_sees_the_approval_page(client, django_user_model, draft):
    for role in (Role.EDITOR, Role.VIEWER):
        client.force_login(member(draft, django_user_model, f"a-{role}", role))
        assert client.get(approve_url(draft)).status_code == 403


# Findings ----------------------------------------------------------------------------------------------


def test_the_approval_page_shows_the_findings_and_asks_why(client, cso, draft):
    client.force_login(cso)
    page = client.get(approve_url(draft)).text
    assert "H1: the initial risk assessment has no rationale." in page
    assert "Why this issue is approved with these findings" in page


def test_with_findings_approval_without_a_justification_is_refused(client, cso, draft):
    client.force_login(cso)
    for justification in ("", "  \n "):
        fields = {"number": "1.0", "meaning": MEANING, "password": PASSWORD, "justification": justification}
        response = client.post(approve_url(draft), fields)
        assert response.status_code == 400
        assert signing.JUSTIFICATION_REQUIRED_MESSAGE in response.text and 'href="#id_justification"' in response.text
    nothing_written(draft)
    # The service refuses too, whichever page calls it.
    with pytest.raises(Exception, match="justification"):
        issues.approve_issue(draft, "1.0", MEANING, cso, justification=" ")
    nothing_written(draft)


def test_the_justification_is_kept_with_the_signature_and_printed_in_the_report(client, cso, draft):
    client.force_login(cso)
    why = "The rationales are being written with the pilot wards; no residual risk is above tolerable."
    fields = {"number": "1.0", "meaning": MEANING, "password": PASSWORD, "justification": why}
    assert client.post(approve_url(draft), fields).status_code == 302
    signature = LogIssue.objects.get(log=draft).signature
    assert signature.findings_justification == why and signature.findings_count > 0
    text = docx_text(bytes(FrozenReport.objects.get(issue=signature.issue, format="docx").content))
    assert "Why this issue is approved with these findings" in text and why in text
    assert why in client.get(reverse("hazardlog:issue_list", args=[draft.pk])).text


def test_without_findings_no_justification_is_asked(client, cso, clean):
    client.force_login(cso)
    page = client.get(approve_url(clean)).text
    assert "No findings: every completeness check passes." in page
    assert "id_justification" not in page
    assert (
        client.post(approve_url(clean), {"number": "1.0", "meaning": MEANING, "password": PASSWORD}).status_code == 302
    )
    assert LogIssue.objects.get(log=clean).signature.findings_count == 0


# The signature, as at signing --------------------------------------------------------------------------


def test_the_signature_copies_name_registration_and_title_as_at_signing(cso, clean):
    issue = issues.approve_issue(clean, "1.0", MEANING, cso)
    signatory = cso.signatory
    signatory.registration_number, signatory.job_title = "7654321", "Director"
    signatory._history_user, signatory._change_reason = cso, "Changed after signing"
    signatory.save()
    cso.first_name = "Alexandra"
    cso.save()
    signature = IssueSignature.objects.get(issue=issue)
    assert (signature.name, signature.registration, signature.job_title) == (
        "Alex Clinician",
        "GPhC 2012345",
        "Lead Pharmacist",
    )
    assert signature.meaning == "Approved as Clinical Safety Officer"
    assert signature.signed_at == issue.approved_at
    text = docx_text(bytes(frozen_report(issue, "docx").content))
    assert "Alex Clinician (GPhC 2012345)" in text and "7654321" not in text


def test_a_signature_cannot_be_changed_or_deleted(cso, clean):
    signature = issues.approve_issue(clean, "1.0", MEANING, cso).signature
    signature.name = "Someone else"
    with pytest.raises(FrozenRecordChanged):
        signature.save()
    with pytest.raises(FrozenRecordChanged):
        signature.delete()
    with pytest.raises(FrozenRecordChanged):
        IssueSignature.objects.update(name="Someone else")
    with pytest.raises(FrozenRecordChanged):
        IssueSignature.objects.all().delete()
    assert IssueSignature.objects.get().name == "Alex Clinician"


# Reviews -----------------------------------------------------------------------------------------------


def test_a_cso_asks_a_member_to_review_and_the_reviewer_records_it(client, cso, draft, django_user_model):
    reviewer = member(draft, django_user_model, "rev", Role.VIEWER, first_name="Sam", last_name="Reviewer")
    client.force_login(cso)
    url = reverse("safetycase:reviews", args=[draft.pk])
    asked = client.post(url, {"reviewer": reviewer.pk, "note": "Look at H1"})
    assert asked.status_code == 302
    review = Review.objects.get()
    assert (review.reviewer, review.requested_by, review.recorded) == (reviewer, cso, False)
    assert review.history.get().history_user == cso

    client.force_login(reviewer)
    assert "You are asked to review the draft" in client.get(url).text
    record = reverse("safetycase:review_record", args=[draft.pk])
    assert "Look at H1" in client.get(record).text
    refused = client.post(record, {"outcome": "", "comments": ""})
    assert refused.status_code == 400
    assert "Choose the outcome of your review" in refused.text and "Enter your comments on the draft" in refused.text
    recorded = client.post(record, {"outcome": ReviewOutcome.CHANGES_REQUESTED, "comments": "H1 needs a rationale"})
    assert recorded.status_code == 302
    review.refresh_from_db()
    assert (review.reviewer_name, review.reviewer_title, review.outcome) == (
        "Sam Reviewer",
        "Viewer of the log",
        ReviewOutcome.CHANGES_REQUESTED,
    )
    assert [row.history_user for row in review.history.all()] == [reviewer, cso]
    # Once recorded it is final: there is no open request left to record.
    assert client.get(record).status_code == 302


def test_a_viewer_cannot_ask_for_a_review_and_nobody_outside_the_log_can_be_asked(
    client, cso, draft, django_user_model
):
    viewer = member(draft, django_user_model, "viewer", Role.VIEWER)
    outsider = django_user_model.objects.create_user("outsider")
    client.force_login(viewer)
    assert client.post(reverse("safetycase:reviews", args=[draft.pk]), {"reviewer": cso.pk}).status_code == 403
    client.force_login(cso)
    refused = client.post(reverse("safetycase:reviews", args=[draft.pk]), {"reviewer": outsider.pk})
    assert refused.status_code == 400 and "Choose a member of this log" in refused.text
    assert not Review.objects.exists()


def test_reviews_recorded_since_the_last_issue_become_the_issues_reviewers(client, cso, draft, django_user_model):
    reviewer = member(draft, django_user_model, "rev", Role.EDITOR, first_name="Sam", last_name="Reviewer")
    factories.make_signatory(reviewer, job_title="Senior Pharmacist")
    review = signing.request_review(draft, reviewer, "", cso)
    signing.record_review(review, ReviewOutcome.REVIEWED, "All read", reviewer)
    client.force_login(cso)
    page = client.get(approve_url(draft)).text
    assert "Sam Reviewer" in page and "Senior Pharmacist" in page

    first = issues.approve_issue(draft, "1.0", MEANING, cso, justification="Known")
    assert [(r["name"], r["title"], r["outcome"]) for r in first.signature.reviewers] == [
        ("Sam Reviewer", "Senior Pharmacist", "Content reviewed")
    ]
    # In the issue's workbook (Version History, Reviewers) and its report.
    rows = [
        [c.value for c in row]
        for row in openpyxl.load_workbook(io.BytesIO(bytes(first.workbook)))["Version History"].iter_rows()
    ]
    assert [
        "Sam Reviewer",
        None,
        "Senior Pharmacist",
        rows[[r[0] for r in rows].index("Sam Reviewer")][3],
        "1.0",
    ] in rows
    text = docx_text(bytes(first.frozen_reports.get(format="docx").content))
    assert "Reviewers" in text and "Sam Reviewer" in text and "All read" in text
    assert "Sam Reviewer" in client.get(reverse("hazardlog:issue_list", args=[draft.pk])).text

    # The next issue has none of them, and still lists the first issue's reviewer for issue 1.0.
    factories.make_hazard(draft, "H2")
    second = issues.approve_issue(draft, "1.1", MEANING, cso, justification="Known")
    assert second.signature.reviewers == []
    rows = [
        [c.value for c in row]
        for row in openpyxl.load_workbook(io.BytesIO(bytes(second.workbook)))["Version History"].iter_rows()
    ]
    assert [row[4] for row in rows if row[0] == "Sam Reviewer"] == ["1.0"]
    assert CSO_TITLE in [row[2] for row in rows]


def test_a_new_review_alone_is_not_a_change_to_approve(cso, clean, django_user_model):
    issues.approve_issue(clean, "1.0", MEANING, cso)
    reviewer = member(clean, django_user_model, "rev", Role.EDITOR, first_name="Sam", last_name="Reviewer")
    signing.record_review(signing.request_review(clean, reviewer, "", cso), ReviewOutcome.REVIEWED, "Fine", reviewer)
    with pytest.raises(Exception, match="Nothing in the log has changed since issue 1.0"):
        issues.approve_issue(clean, "1.1", MEANING, cso)


# The report frozen at approval -------------------------------------------------------------------------


def test_approving_freezes_the_report_and_downloads_serve_those_bytes(client, cso, clean):
    issue = issues.approve_issue(clean, "1.0", MEANING, cso)
    stored = FrozenReport.objects.get(issue=issue, format="docx")
    assert stored.at_approval and stored.sha256 == issues.sha256(bytes(stored.content))
    case = clean.safety_case
    case.introduction = "Rewritten after the approval"
    case._history_user, case._change_reason = cso, "Later"
    case.save()
    client.force_login(cso)
    response = client.get(reverse("safetycase:report_download", args=[clean.pk, issue.pk, "docx"]))
    assert response.content == bytes(stored.content)
    assert response["X-Content-SHA256"] == stored.sha256
    assert stored.sha256 in client.get(reverse("hazardlog:issue_list", args=[clean.pk])).text


def test_a_frozen_report_cannot_be_changed_through_the_model(cso, clean):
    stored = issues.approve_issue(clean, "1.0", MEANING, cso).frozen_reports.get()
    stored.content = b"tampered"
    with pytest.raises(FrozenRecordChanged):
        stored.save()
    with pytest.raises(FrozenRecordChanged):
        stored.delete()
    with pytest.raises(FrozenRecordChanged):
        FrozenReport.objects.update(content=b"tampered")


def _tamper(report_id: int):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE safetycase_frozenreport SET content = %s WHERE id = %s", [b"tampered", report_id])


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the alteration itself")
def test_an_altered_report_is_refused_with_409_and_named_by_the_integrity_check(client, cso, clean, caplog):
    issue = issues.approve_issue(clean, "1.0", MEANING, cso)
    stored = issue.frozen_reports.get()
    _tamper(stored.pk)
    client.force_login(cso)
    response = client.get(reverse("safetycase:report_download", args=[clean.pk, issue.pk, "docx"]))
    assert response.status_code == 409 and stored.sha256 in response.text
    assert "Frozen report" in caplog.text and "altered" in caplog.text
    problems = [str(problem) for problem in find_problems()]
    assert (
        f"safetycase.FrozenReport {stored.pk}: its DOCX report does not match the SHA-256 recorded when it was frozen"
        in problems
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no such trigger (README)")
def test_postgresql_refuses_to_alter_or_delete_a_signature_or_a_frozen_report(cso, clean):
    from django.db import IntegrityError

    issue = issues.approve_issue(clean, "1.0", MEANING, cso)
    for sql in (
        "UPDATE safetycase_frozenreport SET content = 'x'",
        "DELETE FROM safetycase_frozenreport",
        "UPDATE safetycase_issuesignature SET name = 'x'",
        "DELETE FROM safetycase_issuesignature",
    ):
        refused = pytest.raises(IntegrityError, match=r"never changed or deleted \(DCB0129 3\.1\)")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert IssueSignature.objects.get(issue=issue).name == "Alex Clinician"


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the DELETE standing in for it")
def test_an_issue_approved_before_reports_were_frozen_gets_its_report_frozen_on_first_request(client, cso, clean):
    issue = issues.approve_issue(clean, "1.0", MEANING, cso)
    with connection.cursor() as cursor:  # as an issue approved before this release: no frozen report
        cursor.execute("DELETE FROM safetycase_frozenreport")
    client.force_login(cso)
    page = client.get(reverse("hazardlog:issue_list", args=[clean.pk])).text
    assert "approved before reports were frozen" in page
    first = client.get(reverse("safetycase:report_download", args=[clean.pk, issue.pk, "docx"]))
    stored = FrozenReport.objects.get(issue=issue, format="docx")
    assert first.content == bytes(stored.content) and not stored.at_approval
    assert client.get(reverse("safetycase:report_download", args=[clean.pk, issue.pk, "docx"])).content == first.content
    assert "when first downloaded" in client.get(reverse("hazardlog:issue_list", args=[clean.pk])).text


def test_the_command_writes_the_frozen_report(cso, clean, tmp_path):
    issue = issues.approve_issue(clean, "1.0", MEANING, cso)
    path = tmp_path / "cscr.docx"
    call_command("safety_case_report", clean.name, "--issue", "1.0", "--output", str(path), stdout=io.StringIO())
    assert path.read_bytes() == bytes(issue.frozen_reports.get(format="docx").content)


# The draft report --------------------------------------------------------------------------------------


def test_any_member_previews_the_draft_report_marked_draft_and_nothing_is_stored(client, draft, django_user_model):
    client.force_login(member(draft, django_user_model, "viewer", Role.VIEWER))
    response = client.get(reverse("safetycase:report_preview", args=[draft.pk]))
    assert response.status_code == 200 and "DRAFT" in response["Content-Disposition"]
    document = Document(io.BytesIO(response.content))
    assert document.sections[0].header.paragraphs[0].text.startswith("DRAFT — not approved")
    text = docx_text(response.content)
    assert "H1" in text and "not approved" in text
    assert not FrozenReport.objects.exists() and not LogIssue.objects.exists()


# The demo ----------------------------------------------------------------------------------------------


def test_the_demo_has_a_signed_issue_with_a_review_and_its_frozen_report(db):
    call_command("load_demo", username="demo", password="a-long-demo-password", stdout=io.StringIO())
    issue = LogIssue.objects.get()
    signature = issue.signature
    assert (signature.name, signature.registration) == ("Priya Raman", "GPhC DEMO-2012345")
    assert [r["name"] for r in signature.reviewers] == ["Samuel Adeyemi"]
    report = issue.frozen_reports.get(format="docx")
    assert "GPhC DEMO-2012345" in docx_text(bytes(report.content))
    assert find_problems() == []
    call_command("load_demo", username="demo", password="a-long-demo-password", stdout=io.StringIO())
    assert LogIssue.objects.count() == 1 and Review.objects.count() == 1


def test_the_draft_after_an_issue_lists_the_changes_since_it(client, cso, clean):
    issues.approve_issue(clean, "1.0", MEANING, cso)
    factories.make_hazard(clean, "H9", name="Added for the next release")
    client.force_login(cso)
    text = docx_text(client.get(reverse("safetycase:report_preview", args=[clean.pk])).content)
    assert "draft after issue 1.0" in text and "Since issue 1.0:" in text and "H9 Added for the next release" in text
    assert FrozenReport.objects.count() == 1  # only issue 1.0's


def test_findings_that_appear_while_the_page_is_sent_are_said_not_a_500(client, cso, draft):
    """The page found no findings, so it asked no justification; the service finds some: a 400 that says so."""
    from unittest import mock

    client.force_login(cso)
    with mock.patch("hazardlog.web.change.check_rows", return_value=[]):
        response = client.post(approve_url(draft), {"number": "1.0", "meaning": MEANING, "password": PASSWORD})
    assert response.status_code == 400
    assert signing.JUSTIFICATION_REQUIRED_MESSAGE in response.text
    nothing_written(draft)
