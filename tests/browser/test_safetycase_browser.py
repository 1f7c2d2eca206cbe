"""An editor writes a section of the safety case (refused without a reason, then saved with one), and a viewer
follows a finding of the completeness checks to the page that fixes it; both pages pass axe."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog.models import Membership, Role
from safetycase.models import SafetyCase
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(
        "editor", password="correct-horse-battery-staple", first_name="Ada", last_name="Lovelace"
    )


def test_an_editor_writes_a_section_with_a_reason(signed_in_page, editor, axe_check, screenshot):
    log = factories.make_log(name="ePMA")
    Membership.objects.create(log=log, user=editor, role=Role.EDITOR)
    page = signed_in_page(editor)
    page.goto(reverse("hazardlog:log_detail", args=[log.pk]))
    page.get_by_role("link", name="Clinical safety case").click()
    page.get_by_role("link", name=re.compile("^Edit the section “System definition”")).click()
    page.get_by_label("System definition").fill("## Users\n\n- Nurses\n- Pharmacists")
    page.get_by_role("button", name="Save section").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the reason for the change")
    expect(page).to_have_title(re.compile("^Error: "))
    axe_check(page)
    screenshot(page, "safety-case-section-error")
    page.get_by_label("Reason for the change").fill("First draft from the workshop")
    page.get_by_role("button", name="Save section").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Pharmacists")).to_be_visible()
    axe_check(page)
    screenshot(page, "safety-case")
    record = SafetyCase.history.get(log=log)
    assert (record.history_user_id, record.history_change_reason) == (editor.pk, "First draft from the workshop")


def test_the_checks_page_links_each_finding_to_its_fix(signed_in_page, editor, axe_check, screenshot):
    log = factories.make_log(name="ePMA")
    Membership.objects.create(log=log, user=editor, role=Role.EDITOR)
    hazard = factories.make_hazard(log, "EPMA-001", name="Wrong dose shown")
    page = signed_in_page(editor)
    page.goto(reverse("safetycase:checks", args=[log.pk]))
    expect(page.get_by_role("status")).to_contain_text("findings to look at")
    axe_check(page)
    screenshot(page, "safety-case-checks")
    finding = page.get_by_role("listitem").filter(has_text="EPMA-001: the initial risk assessment has no rationale.")
    finding.get_by_role("link", name=re.compile("^Fix this")).click()
    expect(page).to_have_url(re.compile(re.escape(reverse("hazardlog:hazard_edit", args=[log.pk, hazard.pk])) + "$"))
