"""What approving an issue does to the log (issue 10, item 6): the cover takes the issue's version and
"Approved", the issue's workbook lists the issues in order and nothing stale, the approver is named, and a
log that has not changed since its latest issue is not approved again."""

import io
import re
from datetime import date

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from hazardlog import history, issues
from hazardlog.models import Control, ControlKind, ControlType, LogIssue, Membership, Role, Standard
from hazardlog.snapshot import build_snapshot
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories

PASSWORD = "correct-horse-battery-staple"  # the `user` fixture's


def signed(number: str, meaning: str) -> dict:
    """What the approval page posts: the password again, and why it is approved with the tests' findings."""
    return {"number": number, "meaning": meaning, "password": PASSWORD, "justification": "Test findings"}


@pytest.fixture
def draft_log(member_log):
    member_log.version, member_log.document_status, member_log.version_date = "0.1", "Draft", date(2026, 1, 5)
    member_log.save()
    factories.make_hazard(member_log, "H1")
    return member_log


def workbook(issue):
    return openpyxl.load_workbook(io.BytesIO(bytes(issue.workbook)))


def version_history(wb) -> list[list]:
    return [[cell.value for cell in row] for row in wb["Version History"].iter_rows()]


def table(rows, start: int) -> list[list]:
    """The rows of a table from `start` up to the first empty row."""
    found = []
    for row in rows[start:]:
        if not row or row[0] is None:
            break
        found.append(row)
    return found


def amendments(rows) -> list[str]:
    """The Version column of the Amendment History table (its header is on row 2)."""
    return [row[0] for row in table(rows, 2)]


def approved_table(rows) -> list[tuple]:
    """(name, title, version) of each row of the Approved table, below its title, sentence and header."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == "Approved") + 3
    return [(row[0], row[2], row[4]) for row in table(rows, start)]


# The cover page and Version History -----------------------------------------------------------------


def test_approving_sets_the_logs_version_status_and_date_with_history(draft_log, user):
    issue = issues.approve_issue(draft_log, "1.0", "First release", user)
    draft_log.refresh_from_db()
    assert (draft_log.version, draft_log.document_status) == ("1.0", "Approved")
    assert draft_log.version_date == timezone.localdate(issue.approved_at)
    change = draft_log.history.first()
    assert (change.history_user, change.history_change_reason) == (user, "Issue 1.0 approved")
    # The log history lists the approval, then the cover change it made, with the same reason.
    entries = history.log_history(draft_log).object_list
    assert [(e.subject, e.why) for e in entries[:2]] == [
        ("Issue 1.0", "First release"),
        ("Log details", "Issue 1.0 approved"),
    ]


def test_the_issued_workbooks_cover_shows_the_issue_as_approved(draft_log, user):
    cover = workbook(issues.approve_issue(draft_log, "1.0", "First release", user))["Cover Page"]
    assert (cover["D11"].value, cover["D12"].value) == ("Approved", "1.0")
    assert cover["D13"].value.date() == timezone.localdate()


def test_a_later_issue_lists_the_issues_in_order_and_no_stale_working_version(draft_log, user):
    issues.approve_issue(draft_log, "1.0", "First release", user)
    factories.make_hazard(draft_log, "H2")
    # Someone puts the old draft number back on the cover before the next approval.
    draft_log.version, draft_log.document_status = "0.1", "Draft"
    draft_log.save()
    second = issues.approve_issue(draft_log, "2.0", "Second release", user)
    rows = version_history(workbook(second))
    assert amendments(rows) == ["1.0", "2.0"]
    assert not any("Working version" in str(value) for row in rows for value in row)
    assert [number for _, _, number in approved_table(rows)] == ["1.0", "2.0"]


def test_a_live_export_lists_a_working_version_only_after_the_latest_issue(draft_log, user):
    issues.approve_issue(draft_log, "1.0", "First release", user)
    for version, listed in (
        ("0.1", ["1.0"]),
        ("1.0", ["1.0"]),
        ("1.1", ["1.0", "1.1"]),
        ("Draft B", ["1.0", "Draft B"]),
    ):
        draft_log.version = version
        draft_log.save()
        rows = version_history(openpyxl.load_workbook(io.BytesIO(write_nhs_workbook(build_snapshot(draft_log)))))
        assert amendments(rows) == listed, version


# The approver is the named CSO --------------------------------------------------------------------


def test_the_approver_is_named_in_the_workbook_the_issue_page_and_the_history(client, draft_log, user):
    issue = issues.approve_issue(draft_log, "1.0", "First release", user)
    assert approved_table(version_history(workbook(issue))) == [("Alex Clinician", "Clinical Safety Officer", "1.0")]
    assert issue.snapshot["issues"][-1]["approved_by"] == "Alex Clinician"
    client.force_login(user)
    page = client.get(reverse("hazardlog:issue_list", args=[draft_log.pk])).content.decode()
    assert "by Alex Clinician, Clinical Safety Officer" in page
    assert history.log_history(draft_log).object_list[0].who == "Alex Clinician"


def test_a_signed_issue_names_the_cso_with_the_registration_as_at_signing(client, draft_log, user):
    signatory = factories.make_signatory(user, "GPhC", "2012345", "Lead Pharmacist")
    first = issues.approve_issue(draft_log, "1.0", "First release", user)
    assert approved_table(version_history(workbook(first))) == [
        ("Alex Clinician (GPhC 2012345)", "Clinical Safety Officer", "1.0")
    ]
    # A later change of the registration changes neither the signed issue nor how the next issue lists it.
    signatory.registration_number = "7654321"
    signatory._history_user, signatory._change_reason = user, "New number"
    signatory.save()
    factories.make_hazard(draft_log, "H2")
    second = issues.approve_issue(draft_log, "1.1", "Second release", user)
    assert [name for name, _, _ in approved_table(version_history(workbook(second)))] == [
        "Alex Clinician (GPhC 2012345)",
        "Alex Clinician (GPhC 7654321)",
    ]
    assert (first.signature.registration, first.signature.job_title) == ("GPhC 2012345", "Lead Pharmacist")
    client.force_login(user)
    page = client.get(reverse("hazardlog:issue_list", args=[draft_log.pk])).content.decode()
    assert "by Alex Clinician (GPhC 2012345), Lead Pharmacist" in page
    assert "by Alex Clinician (GPhC 7654321), Lead Pharmacist" in page


def test_an_account_without_a_full_name_cannot_approve_and_the_page_says_why(client, draft_log, user):
    user.first_name = user.last_name = ""
    user.save()
    with pytest.raises(ValidationError) as error:
        issues.approve_issue(draft_log, "1.0", "First release", user)
    assert error.value.messages == [issues.no_full_name_message(user)]
    client.force_login(user)
    url = reverse("hazardlog:issue_list", args=[draft_log.pk])
    message = "Ask a member of staff to enter your first and last names in the admin (Users, then cso)."
    factories.make_signatory(user)
    approve_url = reverse("hazardlog:issue_approve", args=[draft_log.pk])
    assert message in client.get(approve_url).content.decode()  # before trying
    assert "Review and approve a new issue" in client.get(url).content.decode()
    response = client.post(approve_url, signed("1.0", "First release"))
    assert response.status_code == 400
    assert "nhsuk-error-summary" in response.content.decode() and message in response.content.decode()
    assert not LogIssue.objects.exists()
    draft_log.refresh_from_db()
    assert (draft_log.version, draft_log.document_status) == ("0.1", "Draft")


# Nothing changed, nothing to approve --------------------------------------------------------------


def test_an_unchanged_log_is_not_approved_again(client, draft_log, user):
    issues.approve_issue(draft_log, "1.0", "First release", user)
    with pytest.raises(ValidationError) as error:
        issues.approve_issue(draft_log, "1.1", "Nothing new", user)
    assert error.value.messages == ["Nothing in the log has changed since issue 1.0: there is nothing new to approve."]
    client.force_login(user)
    factories.make_signatory(user)
    response = client.post(reverse("hazardlog:issue_approve", args=[draft_log.pk]), signed("2.0", "x"))
    assert response.status_code == 400
    assert "Nothing in the log has changed since issue 1.0" in response.content.decode()
    assert list(LogIssue.objects.values_list("number", flat=True)) == ["1.0"]
    draft_log.refresh_from_db()
    assert draft_log.version == "1.0"


def test_a_cover_change_other_than_the_approvals_own_is_a_change(draft_log, user):
    issues.approve_issue(draft_log, "1.0", "First release", user)
    # What the approval itself sets does not count...
    draft_log.version, draft_log.document_status = "1.1 draft", "Draft"
    draft_log.save()
    with pytest.raises(ValidationError):
        issues.approve_issue(draft_log, "1.1", "Nothing new", user)
    # ...anything else does.
    draft_log.purpose = "Now covers the discharge letters too."
    draft_log.save()
    assert issues.approve_issue(draft_log, "1.1", "Purpose widened", user).number == "1.1"


def test_comparing_two_issues_does_not_list_the_approvals_own_cover_fields(draft_log, user):
    older = issues.approve_issue(draft_log, "1.0", "First release", user)
    factories.make_hazard(draft_log, "H2")
    newer = issues.approve_issue(draft_log, "1.1", "Second release", user)
    assert issues.diff_issues(older, newer).details == ()


# One numbering of controls ------------------------------------------------------------------------


def test_a_control_carries_one_number_on_every_page_and_its_causes_numbers_in_the_workbook(client, draft_log, user):
    hazard = draft_log.hazards.get()
    training = Control.objects.create(
        hazard=hazard,
        number=3,
        description="Ward staff trained to check the banner",
        kind=ControlKind.ADDITIONAL,
        control_type=ControlType.TRAINING,
    )
    training.causes.set(hazard.causes.filter(number=2))
    older = issues.approve_issue(draft_log, "1.0", "First release", user)
    training.description = "Ward staff and pharmacists trained to check the banner"
    training.save()
    newer = issues.approve_issue(draft_log, "1.1", "Training widened", user)
    title = "Control 3 (additional, Training)"

    client.force_login(user)
    page = client.get(reverse("hazardlog:hazard_detail", args=[draft_log.pk, hazard.pk])).content.decode()
    assert f"<strong>{title}:</strong>" in page
    assert title in page and "Causes answered: 2 " in page
    form = client.get(reverse("hazardlog:hazard_edit", args=[draft_log.pk, hazard.pk])).content.decode()
    assert f">{title}</h3>" in form
    assert title in [entry.subject for entry in history.hazard_history(hazard)]
    changes = [change.label for change in issues.diff_issues(older, newer).changed[0].changes]
    assert changes == [f"{title}: description"]
    compare = client.get(reverse("hazardlog:issue_compare", args=[draft_log.pk]), {"from": older.pk, "to": newer.pk})
    assert f"{title}: description" in compare.content.decode()
    # The workbook lists it under the number of the cause it answers, as the hazard page says.
    training_column = workbook(newer)["Hazard Log"]["L3"].value
    assert training_column == "2) Ward staff and pharmacists trained to check the banner"


# Each log cites its own standard ------------------------------------------------------------------

# A clause number after DCB0129, or a bare one in brackets as the issues page had "(3.3.3)".
DCB0129_CLAUSE = re.compile(r"DCB0129 \d|\(\d+\.\d+\.\d+\)")


def _log_pages(log, hazard, issue) -> list[str]:
    args, on_hazard = [log.pk], [log.pk, hazard.pk]
    compare = reverse("hazardlog:issue_compare", args=args) + f"?from={issue.pk}&to={issue.pk}"
    names = ["log_detail", "log_edit", "matrix", "import_upload", "log_history", "issue_list", "member_list"]
    return [
        *(reverse(f"hazardlog:{name}", args=args) for name in names),
        *(reverse(f"hazardlog:{name}", args=on_hazard) for name in ("hazard_detail", "hazard_edit", "hazard_history")),
        reverse("hazardlog:hazard_create", args=args),
        reverse("hazardlog:issue_compare", args=args),
        compare,
    ]


@pytest.mark.parametrize(
    ("standard", "cited"),
    [(Standard.DCB0160, "the hazard log clauses of DCB0160"), (Standard.DCB0129, "DCB0129 3.3.2")],
)
def test_a_logs_pages_cite_its_own_standard(client, user, standard, cited):
    log = factories.make_log(standard=standard)
    Membership.objects.create(log=log, user=user, role=Role.CSO)
    hazard = factories.make_hazard(log, "H1")
    issue = issues.approve_issue(log, "1.0", "First release", user)
    client.force_login(user)
    pages = {url: client.get(url) for url in _log_pages(log, hazard, issue)}
    assert {url: response.status_code for url, response in pages.items()} == {
        url: 400 if "from=" in url else 200 for url in pages
    }
    issue_page = pages[reverse("hazardlog:issue_list", args=[log.pk])].content.decode()
    assert cited in issue_page
    if standard == Standard.DCB0160:
        cites_dcb0129 = {url for url, response in pages.items() if DCB0129_CLAUSE.search(response.content.decode())}
        assert cites_dcb0129 == set()
