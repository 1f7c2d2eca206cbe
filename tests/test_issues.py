"""Issues of a log (DCB0129 3.3.2, 3.3.3): approved by a CSO, immutable, downloadable exactly as
approved, and comparable with each other."""

import hashlib
import io
import json
import re

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from hazardlog import issues
from hazardlog.models import (
    HardDeleteRefused,
    HazardStatus,
    LogIssue,
    LogIssueImmutable,
    Membership,
    Role,
    Stage,
)
from tests import factories

MEANING = "Approved for release 4.2 with the safety case report CSCR-12"
PASSWORD = "correct-horse-battery-staple"  # the `user` fixture's


def signed(number: str, meaning: str = MEANING, **fields) -> dict:
    """What the approval page posts: the password again, and why it is approved with the tests' findings."""
    return {"number": number, "meaning": meaning, "password": PASSWORD, "justification": "Test findings"} | fields


@pytest.fixture(autouse=True)
def signatory(user):
    return factories.make_signatory(user)


def member(log, django_user_model, username, role):
    user = django_user_model.objects.create_user(username)
    Membership.objects.create(log=log, user=user, role=role)
    return user


@pytest.fixture
def issue(member_log, user):
    factories.make_hazard(member_log, "H1")
    return issues.approve_issue(member_log, "1.0", MEANING, user)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# Approving --------------------------------------------------------------------------------------------


def test_approving_stores_the_workbook_and_snapshot_with_their_checksums(issue, user):
    issue = LogIssue.objects.get(pk=issue.pk)
    assert (issue.number, issue.meaning, issue.approved_by) == ("1.0", MEANING, user)
    assert issue.workbook_sha256 == sha256(bytes(issue.workbook))
    assert issue.snapshot_sha256 == sha256(issues.canonical_json(issue.snapshot))
    assert [h["reference"] for h in issue.snapshot["hazards"]] == ["H1"]
    # The issue lists its own approval, as its workbook's Version History does.
    assert [(i["number"], i["meaning"]) for i in issue.snapshot["issues"]] == [("1.0", MEANING)]


def test_the_issued_workbook_opens_and_lists_its_own_approval(issue):
    workbook = openpyxl.load_workbook(io.BytesIO(bytes(issue.workbook)))
    assert {"Cover Page", "Version History", "Hazard Log", "Risk Matrix"} <= set(workbook.sheetnames)
    history = list(workbook["Version History"].iter_rows(values_only=True))
    amendments = history[history.index(next(r for r in history if r[0] == "Version")) + 1]
    assert amendments[0] == "1.0"
    assert MEANING in amendments
    hazard_rows = list(workbook["Hazard Log"].iter_rows(min_row=3, values_only=True))
    assert hazard_rows[0][0] == "H1"


def test_a_later_issue_shows_the_earlier_ones(issue, member_log, user):
    factories.make_hazard(member_log, "H2")
    later = issues.approve_issue(member_log, "1.1", "Minor corrections", user)
    assert [i["number"] for i in later.snapshot["issues"]] == ["1.0", "1.1"]


@pytest.mark.parametrize("number", ["1", "v1.0", "1.0.1", "1,1", "", " ", "1.0\n2", "١.٠"])
def test_the_number_must_be_major_dot_minor(member_log, user, number):
    with pytest.raises(ValidationError) as error:
        issues.approve_issue(member_log, number, MEANING, user)
    assert "major.minor" in error.value.message_dict["number"][0]
    assert not LogIssue.objects.exists()


@pytest.mark.parametrize("number", ["1.0", "0.9", "0.10"])
def test_the_number_must_come_after_the_latest_issue(issue, member_log, user, number):
    with pytest.raises(ValidationError) as error:
        issues.approve_issue(member_log, number, MEANING, user)
    assert error.value.message_dict["number"] == ["Enter a number after the latest issue, 1.0."]
    assert LogIssue.objects.count() == 1


def test_numbers_compare_as_numbers_not_text(member_log, user):
    issues.approve_issue(member_log, "1.9", MEANING, user)
    factories.make_hazard(member_log, "H1")
    assert issues.approve_issue(member_log, "1.10", MEANING, user).number == "1.10"
    assert issues.next_numbers(member_log) == ("1.11", "2.0")


def test_the_meaning_is_required(member_log, user):
    with pytest.raises(ValidationError) as error:
        issues.approve_issue(member_log, "1.0", "   ", user)
    assert "meaning" in error.value.message_dict


def test_a_log_too_big_for_the_workbook_is_not_issued(client, user, member_log):
    hazard = factories.make_hazard(member_log, "H1")
    for cause in hazard.causes.all():
        cause.description = "x" * 20_000  # two causes share column E: more than a cell holds
        cause.save()
    client.force_login(user)
    response = client.post(reverse("hazardlog:issue_approve", args=[member_log.pk]), signed("1.0"))
    assert response.status_code == 400
    assert "cannot be issued as an NHS workbook" in response.content.decode()
    assert not LogIssue.objects.exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_only_a_cso_approves(member_log, django_user_model, role):
    someone = member(member_log, django_user_model, "someone", role)
    with pytest.raises(PermissionDenied):
        issues.approve_issue(member_log, "1.0", MEANING, someone)
    assert not LogIssue.objects.exists()


# Immutability -----------------------------------------------------------------------------------------


def test_the_model_refuses_to_change_or_delete_an_issue(issue):
    issue.meaning = "Something else"
    with pytest.raises(LogIssueImmutable):
        issue.save()
    with pytest.raises(HardDeleteRefused):
        issue.delete()
    with pytest.raises(HardDeleteRefused):
        LogIssue.objects.filter(pk=issue.pk).delete()
    with pytest.raises(LogIssueImmutable):
        LogIssue.objects.filter(pk=issue.pk).update(meaning="Something else")
    assert LogIssue.objects.get(pk=issue.pk).meaning == MEANING


def test_the_admin_shows_an_issue_but_cannot_change_or_delete_it(client, django_user_model, issue):
    admin_user = django_user_model.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(admin_user)
    change_url = reverse("admin:hazardlog_logissue_change", args=[issue.pk])
    assert client.get(change_url).status_code == 200  # view only
    assert client.get(reverse("admin:hazardlog_logissue_history", args=[issue.pk])).status_code == 200
    posted = {"number": "9.9", "meaning": "Tampered", "workbook_sha256": "0" * 64}
    assert client.post(change_url, posted).status_code == 403
    assert client.post(reverse("admin:hazardlog_logissue_delete", args=[issue.pk]), {"post": "yes"}).status_code == 403
    changelist = reverse("admin:hazardlog_logissue_changelist")
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [issue.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert client.post(reverse("admin:hazardlog_logissue_add"), posted).status_code == 403
    stored = LogIssue.objects.get()
    assert (stored.number, stored.meaning, stored.workbook_sha256) == ("1.0", MEANING, issue.workbook_sha256)


def test_the_admin_offers_the_stored_files_for_download(client, django_user_model, issue):
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    client.force_login(staff)
    url = reverse("admin:hazardlog_logissue_download", args=[issue.pk, "workbook"])
    assert client.get(url).status_code == 403  # staff without permission to view issues
    client.force_login(django_user_model.objects.create_superuser("admin", "admin@example.org", "pw"))
    page = client.get(reverse("admin:hazardlog_logissue_change", args=[issue.pk])).content.decode()
    assert url in page and "PK\\x03" not in page
    response = client.get(url)
    assert response["X-Content-SHA256"] == issue.workbook_sha256 == sha256(response.content)


def test_no_post_to_the_issue_pages_changes_an_issue(client, user, issue):
    client.force_login(user)
    log_id = issue.log_id
    workbook = bytes(issue.workbook)
    download = reverse("hazardlog:issue_download", args=[log_id, issue.pk, "workbook"])
    assert client.post(download, {"meaning": "Tampered"}).status_code == 405
    assert client.post(reverse("hazardlog:issue_list", args=[log_id]), {"meaning": "Tampered"}).status_code == 405
    again = client.post(reverse("hazardlog:issue_approve", args=[log_id]), signed("1.0", "Tampered"))
    assert again.status_code == 400
    assert "Enter a number after the latest issue, 1.0." in again.content.decode()
    stored = LogIssue.objects.get()
    assert (stored.meaning, bytes(stored.workbook)) == (MEANING, workbook)


# Pages and downloads ----------------------------------------------------------------------------------


def test_a_cso_approves_through_the_page(client, user, member_log):
    factories.make_hazard(member_log, "H1")
    client.force_login(user)
    response = client.post(reverse("hazardlog:issue_approve", args=[member_log.pk]), signed("1.0"))
    assert response.status_code == 302
    issue = LogIssue.objects.get()
    assert (issue.number, issue.approved_by) == ("1.0", user)
    page = client.get(response.url).content.decode()
    assert "Issue 1.0 of this log is approved and signed." in page
    assert issue.workbook_sha256 in page and issue.snapshot_sha256 in page


def test_the_approve_form_shows_errors_in_the_nhs_error_summary(client, user, member_log):
    client.force_login(user)
    response = client.post(reverse("hazardlog:issue_approve", args=[member_log.pk]), {"number": "one", "meaning": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "nhsuk-error-summary" in html and "<title>Error: " in html
    assert issues.NUMBER_FORMAT_MESSAGE in html and issues.MEANING_REQUIRED_MESSAGE in html


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_editors_and_viewers_cannot_approve(client, django_user_model, member_log, role):
    someone = member(member_log, django_user_model, "someone", role)
    client.force_login(someone)
    response = client.post(reverse("hazardlog:issue_approve", args=[member_log.pk]), signed("1.0"))
    assert response.status_code == 403
    assert not LogIssue.objects.exists()
    page = client.get(reverse("hazardlog:issue_list", args=[member_log.pk])).content.decode()
    assert "Approve a new issue" not in page
    assert client.get(reverse("hazardlog:issue_approve", args=[member_log.pk])).status_code == 403


def test_the_workbook_download_is_the_stored_bytes_with_their_checksum(client, user, issue):
    client.force_login(user)
    response = client.get(reverse("hazardlog:issue_download", args=[issue.log_id, issue.pk, "workbook"]))
    assert response.status_code == 200
    assert response.content == bytes(issue.workbook)
    assert response["X-Content-SHA256"] == issue.workbook_sha256 == sha256(response.content)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith('issue_1.0.xlsx"')
    assert re.sub(r"\s", "_", issue.log.name) in disposition
    openpyxl.load_workbook(io.BytesIO(response.content))


def test_the_json_download_matches_its_checksum(client, user, issue):
    client.force_login(user)
    response = client.get(reverse("hazardlog:issue_download", args=[issue.log_id, issue.pk, "json"]))
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-SHA256"] == issue.snapshot_sha256 == sha256(response.content)
    data = json.loads(response.content)
    assert data["name"] == issue.log.name and data["hazards"][0]["reference"] == "H1"


def test_an_unknown_download_kind_is_not_found(client, user, issue):
    client.force_login(user)
    assert client.get(reverse("hazardlog:issue_download", args=[issue.log_id, issue.pk, "csv"])).status_code == 404


# Comparing issues -------------------------------------------------------------------------------------


@pytest.fixture
def pair(member_log, user):
    """Issue 1.0 with H1–H3; then H4 added, H2 closed, H3 re-rated, H1's description changed: issue 1.1."""
    h1 = factories.make_hazard(member_log, "H1", description="Old description")
    h2 = factories.make_hazard(member_log, "H2")
    h3 = factories.make_hazard(member_log, "H3", residual=("Major", "Low"))
    older = issues.approve_issue(member_log, "1.0", "First issue", user)
    factories.make_hazard(member_log, "H4", name="Allergy not shown")
    h2.status, h2.status_reason = HazardStatus.CLOSED, "All controls verified"
    h2.save()
    residual = h3.assessments.get(stage=Stage.RESIDUAL)
    residual.likelihood = member_log.matrix.likelihood_levels.get(name="Very low")
    residual.save()
    h1.description = "New description"
    h1.save()
    newer = issues.approve_issue(member_log, "1.1", "Second issue", user)
    return older, newer


def test_diff_finds_added_closed_rerated_and_changed_hazards(pair):
    diff = issues.diff_issues(*pair)
    assert [h.reference for h in diff.added] == ["H4"]
    assert [h.reference for h in diff.closed] == ["H2"]
    assert [(r.reference, r.stage, r.old, r.new) for r in diff.rerated] == [
        ("H3", "Residual", issues.Rating("Major", "Low", 3), issues.Rating("Major", "Very low", 2))
    ]
    changed = {h.reference: {(c.label, c.old, c.new) for c in h.changes} for h in diff.changed}
    assert ("hazard description", "Old description", "New description") in changed["H1"]
    assert ("status", "Open", "Closed") in changed["H2"]
    assert not diff.removed and not diff.details


def test_the_compare_page_shows_each_kind_of_change(client, user, pair):
    older, newer = pair
    client.force_login(user)
    url = reverse("hazardlog:issue_compare", args=[older.log_id])
    response = client.get(url, {"from": older.pk, "to": newer.pk})
    assert response.status_code == 200
    html = response.content.decode()
    added, closed = html.index('id="added"'), html.index('id="closed"')
    rerated, changed = html.index('id="rerated"'), html.index('id="changed"')
    assert "H4" in html[added:closed] and "Allergy not shown" in html[added:closed]
    assert "H2" in html[closed:rerated]
    assert "Major / Low: risk 3" in html[rerated:changed] and "Major / Very low: risk 2" in html[rerated:changed]
    assert "Old description</del>" in html[changed:] and "New description</ins>" in html[changed:]
    # Either way round, the older issue is compared with the newer.
    reversed_ = client.get(url, {"from": newer.pk, "to": older.pk}).content.decode()
    assert "Changes from issue 1.0 to issue 1.1" in reversed_


def test_diff_reports_cause_and_control_changes_and_removed_hazards(issue, user):
    snapshot = json.loads(json.dumps(issue.snapshot))
    hazard = snapshot["hazards"][0]
    hazard["causes"][0]["description"] = "Reworded cause"
    hazard["controls"][1]["control_type"] = "test"
    hazard["controls"][1]["cause_numbers"] = [2]
    newer = LogIssue(log=issue.log, number="1.1", snapshot=snapshot)
    diff = issues.diff_issues(issue, newer)
    changes = {(c.label, c.old, c.new) for c in diff.changed[0].changes}
    assert ("Cause 1", "Cause 1", "Reworded cause") in changes
    assert ("Control 2 (additional, Test): type", "Design", "Test") in changes
    assert ("Control 2 (additional, Test): causes answered", "1, 2", "2") in changes

    emptied = LogIssue(log=issue.log, number="1.2", snapshot={**snapshot, "hazards": []})
    assert [h.reference for h in issues.diff_issues(issue, emptied).removed] == ["H1"]


def test_comparing_an_issue_with_itself_is_refused(client, user, issue):
    client.force_login(user)
    response = client.get(reverse("hazardlog:issue_compare", args=[issue.log_id]), {"from": issue.pk, "to": issue.pk})
    assert response.status_code == 400
    assert "Choose a different issue" in response.content.decode()


def test_an_issue_of_another_log_cannot_be_compared(client, user, issue, django_user_model):
    other_log = factories.make_log()
    Membership.objects.create(log=other_log, user=user, role=Role.CSO)
    other = issues.approve_issue(other_log, "1.0", MEANING, user)
    client.force_login(user)
    response = client.get(reverse("hazardlog:issue_compare", args=[issue.log_id]), {"from": issue.pk, "to": other.pk})
    assert response.status_code == 400
    assert "Changes from issue" not in response.content.decode()


# Access -----------------------------------------------------------------------------------------------


def _urls(issue):
    log_id = issue.log_id
    hazard = issue.log.hazards.get()
    compare = reverse("hazardlog:issue_compare", args=[log_id]) + f"?from={issue.pk}&to={issue.pk}"
    return [
        reverse("hazardlog:hazard_history", args=[log_id, hazard.pk]),
        reverse("hazardlog:log_history", args=[log_id]),
        reverse("hazardlog:issue_list", args=[log_id]),
        reverse("hazardlog:issue_download", args=[log_id, issue.pk, "workbook"]),
        reverse("hazardlog:issue_download", args=[log_id, issue.pk, "json"]),
        compare,
    ]


def test_non_members_get_404_everywhere(client, django_user_model, issue):
    client.force_login(django_user_model.objects.create_user("stranger"))
    assert {url: client.get(url).status_code for url in _urls(issue)} == dict.fromkeys(_urls(issue), 404)
    approve = client.post(reverse("hazardlog:issue_approve", args=[issue.log_id]), signed("2.0", "x"))
    assert approve.status_code == 404


def test_viewers_read_issues_and_download_them(client, django_user_model, issue):
    client.force_login(member(issue.log, django_user_model, "viewer", Role.VIEWER))
    statuses = [client.get(url).status_code for url in _urls(issue)]
    assert statuses == [200, 200, 200, 200, 200, 400]  # the last compares an issue with itself


def test_signed_out_users_are_not_shown_issues(client, issue):
    response = client.get(reverse("hazardlog:issue_list", args=[issue.log_id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert issue.workbook_sha256 not in response.content.decode()


def test_the_stored_approval_time_is_the_one_written_into_the_issue(issue):
    assert issue.snapshot["issues"][-1]["approved_at"] == issue.approved_at.isoformat()
