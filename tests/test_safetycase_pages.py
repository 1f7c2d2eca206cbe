"""The safety case pages: viewers read, editors edit sections, documents and test issues with a reason
(kept in the history with the user), only the CSO writes the summary safety statement, Markdown is
sanitised as on the guidance pages, and a DCB0160 log speaks of deployment."""

import pytest
from django.urls import reverse

from hazardlog.models import Membership, Role, Standard
from safetycase.models import RelatedDocument, SafetyCase, TestIssue
from tests import factories
from tests.safetycase_data import complete_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(django_user_model):
    def make(log, role, username=None):
        user = django_user_model.objects.create_user(
            username or role, password="correct-horse-battery-staple", first_name="Sam", last_name=role.title()
        )
        Membership.objects.create(log=log, user=user, role=role)
        return user

    return make


def section_url(log, slug="introduction"):
    return reverse("safetycase:section_edit", args=[log.pk, slug])


def test_a_viewer_reads_the_safety_case_but_cannot_edit(client, log, member):
    client.force_login(member(log, Role.VIEWER))
    page = client.get(reverse("safetycase:safety_case", args=[log.pk]))
    assert page.status_code == 200
    assert "Clinical Risk Management System" in page.text or "Clinical risk management system" in page.text
    assert section_url(log) not in page.text
    assert client.get(section_url(log)).status_code == 403
    assert client.post(section_url(log), {"text": "x", "reason": "y"}).status_code == 403
    assert not SafetyCase.objects.exists()


def test_a_non_member_gets_404(client, log, django_user_model):
    client.force_login(django_user_model.objects.create_user("stranger", password="correct-horse-battery-staple"))
    assert client.get(reverse("safetycase:safety_case", args=[log.pk])).status_code == 404
    assert client.get(reverse("safetycase:checks", args=[log.pk])).status_code == 404


def test_an_editor_saves_a_section_with_a_reason_kept_in_the_history(client, log, member):
    editor = member(log, Role.EDITOR)
    client.force_login(editor)
    response = client.post(
        section_url(log), {"text": "## Scope\n\nThe ePMA system, release 4.2.", "reason": "First draft"}
    )
    assert response.status_code == 302
    case = SafetyCase.objects.get(log=log)
    assert case.introduction.startswith("## Scope")
    [record] = case.history.all()
    assert (record.history_user, record.history_change_reason) == (editor, "First draft")
    page = client.get(reverse("safetycase:safety_case", args=[log.pk]))
    assert "<h3>Scope</h3>" in page.text  # below the section's title; no id: two sections may both have a "Scope"
    client.post(section_url(log, "risk_analysis"), {"text": "Workshop on 3 May.", "reason": "Workshop notes"})
    assert list(SafetyCase.objects.get(log=log).history.values_list("history_change_reason", flat=True)) == [
        "Workshop notes",
        "First draft",
    ]


def test_a_section_without_a_reason_is_refused_with_the_error_summary(client, log, member):
    client.force_login(member(log, Role.EDITOR))
    response = client.post(section_url(log), {"text": "Draft", "reason": ""})
    assert response.status_code == 400
    assert "nhsuk-error-summary" in response.text
    assert "Enter the reason for the change" in response.text
    assert response.text.count("<title>Error: ") == 1
    assert not SafetyCase.objects.exists()


def test_only_the_cso_writes_the_summary_safety_statement(client, log, member):
    client.force_login(member(log, Role.EDITOR))
    assert client.get(section_url(log, "safety_statement")).status_code == 403
    client.force_login(member(log, Role.CSO, "the-cso"))
    response = client.post(section_url(log, "safety_statement"), {"text": "Safe to release.", "reason": "Signed off"})
    assert response.status_code == 302
    assert SafetyCase.objects.get(log=log).safety_statement == "Safe to release."


def test_an_unknown_section_is_404(client, log, member):
    client.force_login(member(log, Role.CSO))
    assert client.get(section_url(log, "no_such_section")).status_code == 404


def test_markdown_is_sanitised_as_on_the_guidance_pages(client, log, member):
    client.force_login(member(log, Role.EDITOR))
    hostile = '<script>alert(1)</script>\n\n[click](javascript:alert(2)) <img src=x onerror="alert(3)">'
    client.post(section_url(log), {"text": hostile, "reason": "Test"})
    page = client.get(reverse("safetycase:safety_case", args=[log.pk])).text
    assert "alert(1)" not in page
    assert "javascript:" not in page
    assert "onerror" not in page


def test_a_dcb0160_log_speaks_of_deployment(client, member):
    log = factories.make_log(standard=Standard.DCB0160)
    client.force_login(member(log, Role.EDITOR))
    page = client.get(section_url(log, "system_definition")).text
    assert "the deploying organisation" in page
    overview = client.get(reverse("safetycase:safety_case", args=[log.pk])).text
    assert "manufacturer's safety case report" in overview
    assert "the deploying organisation&#x27;s clinical environment" in overview  # the empty section's hint
    assert "DCB0129 3" not in overview  # no clause of the manufacturer standard


def test_related_documents_and_test_issues_are_added_and_changed_with_reasons(client, log, member):
    editor = member(log, Role.EDITOR)
    client.force_login(editor)
    factories.make_hazard(log, "EPMA-001")
    response = client.post(
        reverse("safetycase:document_add", args=[log.pk]),
        {
            "title": "Clinical Risk Management Plan",
            "reference": "CRMP-1",
            "version": "2.0",
            "link": "",
            "reason": "Added",
        },
    )
    assert response.status_code == 302
    document = RelatedDocument.objects.get(log=log)
    client.post(
        reverse("safetycase:document_edit", args=[log.pk, document.pk]),
        {
            "title": "Clinical Risk Management Plan",
            "reference": "CRMP-1",
            "version": "2.1",
            "link": "",
            "reason": "New",
        },
    )
    assert list(document.history.values_list("version", "history_change_reason")) == [("2.1", "New"), ("2.0", "Added")]

    form = {"reference": "T1", "description": "Dose rounds wrongly", "safety_impact": "", "status": "outstanding"}
    refused = client.post(
        reverse("safetycase:test_issue_add", args=[log.pk]),
        {**form, "hazard_references": "epma-001, H99", "reason": "x"},
    )
    assert refused.status_code == 400
    assert "This log has no hazard H99." in refused.text
    client.post(
        reverse("safetycase:test_issue_add", args=[log.pk]),
        {**form, "hazard_references": "epma-001", "reason": "Found"},
    )
    test_issue = TestIssue.objects.get(log=log)
    assert test_issue.hazard_references == "EPMA-001"
    assert test_issue.history.get().history_user == editor
    again = client.post(
        reverse("safetycase:test_issue_add", args=[log.pk]), {**form, "hazard_references": "", "reason": "x"}
    )
    assert "Test issue T1 is already in this log." in again.text


def test_safety_case_records_are_never_deleted(log):
    from hazardlog.models.base import HardDeleteRefused

    case = SafetyCase.objects.create(log=log)
    document = RelatedDocument.objects.create(log=log, title="CRMP")
    test_issue = TestIssue.objects.create(log=log, reference="T1", description="x")
    for record in (case, document, test_issue):
        with pytest.raises(HardDeleteRefused):
            record.delete()
        with pytest.raises(HardDeleteRefused):
            type(record).objects.all().delete()


def test_the_log_page_links_to_its_safety_case(client, log, member):
    client.force_login(member(log, Role.VIEWER))
    page = client.get(reverse("hazardlog:log_detail", args=[log.pk])).text
    assert reverse("safetycase:safety_case", args=[log.pk]) in page


def test_the_checks_page_lists_each_finding_with_a_link_to_fix_it(client, member):
    log = complete_log()
    client.force_login(member(log, Role.VIEWER))
    hazard = log.hazards.get(reference="H2")
    hazard.owner = ""
    hazard.save()
    case = SafetyCase.objects.get(log=log)
    case.risk_control = ""
    case.save()
    page = client.get(reverse("safetycase:checks", args=[log.pk])).text
    assert "2 findings to look at." in page
    assert "H2: residual risk 3 (Undesirable) is above acceptable and the hazard has no owner." in page
    assert reverse("hazardlog:hazard_edit", args=[log.pk, hazard.pk]) in page
    assert "The section “Clinical risk control” is empty." in page
    assert section_url(log, "risk_control") in page
    assert "DCB0129 6.2.1" in page
    assert "Partial" in page and "Not applicable" in page


@pytest.mark.parametrize(
    ("model", "field"), [(SafetyCase, "introduction"), (RelatedDocument, "title"), (TestIssue, "description")]
)
def test_queryset_update_is_refused_because_it_writes_no_history(log, model, field):
    from hazardlog.models.base import WriteWithoutHistoryRefused

    SafetyCase.objects.create(log=log)
    RelatedDocument.objects.create(log=log, title="CRMP")
    TestIssue.objects.create(log=log, reference="T1", description="x")
    with pytest.raises(WriteWithoutHistoryRefused):
        model.objects.all().update(**{field: "Changed without history"})


def test_the_integrity_check_covers_the_safety_case(log, user):
    from hazardlog.operations.integrity import check_history
    from safetycase import services

    services.save_safety_case(log, {"introduction": "Scope"}, user, "First draft")
    assert check_history(SafetyCase) == []
    # Written below the app (bulk_create writes no history), as a restore gone wrong would.
    [unrecorded] = SafetyCase.objects.bulk_create([SafetyCase(log=factories.make_log())])
    assert [str(p) for p in check_history(SafetyCase)] == [f"safetycase.SafetyCase {unrecorded.pk}: it has no history"]
