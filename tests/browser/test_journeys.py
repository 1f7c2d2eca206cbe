"""The CSO's journeys through the web app in a real browser, each page checked with axe at desktop and
phone width. The `browser_page` fixture fails a test if any request went to another host."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog.models import Hazard, HazardLog, Membership, Role, Stage
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]


def at(path: str) -> re.Pattern:
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?[^#]*)?(#.*)?$")


def check(page, axe_check, screenshot, name: str) -> None:
    """axe at desktop and phone width, with a screenshot of each."""
    axe_check(page)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    axe_check(page)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_a_cso_signs_in_and_creates_a_log(browser_page, creator, axe_check, screenshot):
    page = browser_page
    page.goto(reverse("hazardlog:log_list"))
    page.get_by_label("Username").fill(creator.username)
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hazard logs")
    check(page, axe_check, screenshot, "journey-log-list-empty")

    page.get_by_role("link", name="Create a hazard log").click()
    page.get_by_role("button", name="Create hazard log").click()
    expect(page).to_have_title(re.compile("^Error: Create a hazard log"))
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the system name")
    check(page, axe_check, screenshot, "journey-log-create-error")

    page.get_by_label("System name").fill("Electronic prescribing")
    page.get_by_label("DCB0160 (deploying organisation)").check()
    page.get_by_label("Clinical Safety Officer").fill("Dr A Clinician")
    page.get_by_label("Version (optional)", exact=True).fill("0.1")
    page.get_by_role("button", name="Create hazard log").click()
    log = HazardLog.objects.get(name="Electronic prescribing")
    expect(page).to_have_url(at(reverse("hazardlog:log_detail", args=[log.pk])))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("You are its Clinical Safety Officer")
    assert Membership.objects.get(log=log).role == Role.CSO
    check(page, axe_check, screenshot, "journey-log-detail-empty")

    page.get_by_role("link", name="Hazard logs").first.click()
    expect(page.get_by_role("link", name="Electronic prescribing")).to_be_visible()


def test_a_cso_adds_a_hazard_and_edits_it_with_a_reason(signed_in_page, user, member_log, axe_check, screenshot):
    page = signed_in_page(user)
    page.goto(reverse("hazardlog:log_detail", args=[member_log.pk]))
    page.get_by_role("link", name="Add a hazard").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Add a hazard")
    check(page, axe_check, screenshot, "journey-hazard-new")

    page.get_by_label("Hazard number").fill("H1")
    page.get_by_label("Hazard name").fill("Wrong patient's record shown")
    page.get_by_label("Hazard description (optional)").fill("Two records open in two tabs.")
    page.get_by_role("textbox", name="Cause 1", exact=True).fill("Patient search returns a near match first")
    page.get_by_role("button", name="Add another cause").click()
    expect(page.get_by_role("textbox", name="Cause 2", exact=True)).to_be_focused()
    page.keyboard.type("Second tab keeps the old context")

    existing = page.get_by_role("group", name="Existing control 1")
    existing.get_by_label("Description").fill("Banner with name, NHS number and date of birth")
    existing.get_by_label("Cause 1: Patient search returns a near match first").check()
    existing.get_by_label("Cause 2: Second tab keeps the old context").check()

    initial = page.locator("#initial-risk")
    initial.get_by_label("Major").check()
    initial.get_by_label("Medium").check()
    expect(initial.locator(".hl-rating-result")).to_contain_text("3 Undesirable")

    first = page.get_by_role("group", name="Additional control 1")
    first.get_by_label("Description").fill("Single patient context across tabs")
    first.get_by_label("Type").select_option(label="Design")
    first.get_by_label("Cause 2: Second tab keeps the old context").check()
    page.get_by_role("button", name="Add another additional control").click()
    second = page.get_by_role("group", name="Additional control 2")
    expect(second.get_by_label("Description")).to_be_focused()
    page.keyboard.type("Training on checking identity")
    second.get_by_label("Type").select_option(label="Training")
    second.get_by_label("Cause 1: Patient search returns a near match first").check()

    residual = page.locator("#residual-risk")
    residual.get_by_label("Major").check()
    residual.get_by_label("Very low").check()
    expect(residual.locator(".hl-rating-result")).to_contain_text("2 Tolerable")
    page.locator("#actions").get_by_label("Owner (optional)").fill("Supplier")
    page.get_by_role("button", name="Save hazard").last.click()

    hazard = Hazard.objects.get(log=member_log, reference="H1")
    expect(page).to_have_url(at(reverse("hazardlog:hazard_detail", args=[member_log.pk, hazard.pk])))
    expect(page.locator(".nhsuk-summary-list").first).to_contain_text("3 Undesirable")
    expect(page.locator(".nhsuk-summary-list").first).to_contain_text("2 Tolerable")
    assert hazard.causes.count() == 2 and hazard.controls.count() == 3
    assert sorted(c.number for c in hazard.controls.get(control_type="design").causes.all()) == [2]
    check(page, axe_check, screenshot, "journey-hazard-detail")

    page.get_by_role("link", name="Edit hazard H1").click()
    page.locator("#residual-risk").get_by_label("Low", exact=True).check()
    expect(page.locator("#residual-risk .hl-rating-result")).to_contain_text("3 Undesirable")
    page.get_by_role("button", name="Save hazard").last.click()
    expect(page).to_have_title(re.compile("^Error: Edit hazard H1"))
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter the reason for the change")
    check(page, axe_check, screenshot, "journey-hazard-edit-error")
    summary.get_by_role("link", name="Enter the reason for the change").click()
    expect(page.get_by_label("Reason for the change")).to_be_focused()
    page.keyboard.type("Likelihood reviewed after go-live")
    page.get_by_role("button", name="Save hazard").last.click()

    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Hazard H1 saved.")
    expect(page.locator(".nhsuk-summary-list").first).to_contain_text("Likelihood reviewed after go-live")
    residual = Hazard.objects.get(pk=hazard.pk).assessment(Stage.RESIDUAL)
    assert (residual.likelihood.name, residual.rating.number) == ("Low", 3)


def test_a_cso_filters_the_list_and_follows_a_cell_of_the_matrix(
    signed_in_page, user, member_log, axe_check, screenshot
):
    factories.make_hazard(
        member_log, "H2", name="Allergy not shown", initial=("Major", "High"), residual=("Major", "Low")
    )
    factories.make_hazard(member_log, "H10", name="Dose rounded wrongly", initial=("Minor", "Low"), residual=None)
    factories.make_hazard(
        member_log, "H1", name="Duplicate order", initial=("Major", "High"), residual=("Minor", "Low")
    )
    page = signed_in_page(user)
    page.goto(reverse("hazardlog:log_detail", args=[member_log.pk]))
    references = page.locator(".hl-hazard-table tbody tr td:first-child")
    expect(references).to_have_text([re.compile(r"H1$"), re.compile(r"H2$"), re.compile(r"H10$")])
    check(page, axe_check, screenshot, "journey-hazard-list")

    # By keyboard alone: open the filters, search, apply.
    page.locator("summary", has_text="Filter and search hazards").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Search (optional)").focus()
    page.keyboard.type("allergy")
    page.keyboard.press("Enter")
    expect(references).to_have_text([re.compile(r"H2$")])
    expect(page.get_by_role("status")).to_have_text("Showing 1 to 1 of 1 hazard that matches the filters.")
    check(page, axe_check, screenshot, "journey-hazard-list-filtered")

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_role("link", name="Residual risk").click()
    expect(references).to_have_text([re.compile(r"H10$"), re.compile(r"H1$"), re.compile(r"H2$")])

    page.get_by_role("link", name="Risk matrix").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Risk matrix")
    check(page, axe_check, screenshot, "journey-matrix")
    page.get_by_role("link", name="2 initial – Major severity, High likelihood").click()
    expect(references).to_have_text([re.compile(r"H1$"), re.compile(r"H2$")])
    expect(page.get_by_label("Initial severity")).to_have_value("4")


def test_a_cso_exports_the_workbook_and_imports_it_back(
    signed_in_page, user, member_log, axe_check, screenshot, tmp_path
):
    factories.make_hazard(member_log, "H1", name="Allergy not shown")
    factories.make_hazard(member_log, "H2", name="Dose rounded wrongly")
    target = factories.make_log(name="Second site")
    Membership.objects.create(log=target, user=user, role=Role.EDITOR)
    page = signed_in_page(user)
    page.goto(reverse("hazardlog:log_detail", args=[member_log.pk]))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the NHS hazard log workbook (.xlsx)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and "system" in download.suggested_filename
    workbook = tmp_path / download.suggested_filename
    download.save_as(workbook)

    page.goto(reverse("hazardlog:log_detail", args=[target.pk]))
    page.get_by_role("link", name="Import a workbook").click()
    check(page, axe_check, screenshot, "journey-import-upload")
    page.get_by_label("Upload a hazard log workbook").set_input_files(str(workbook))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import preview")
    expect(page.locator("main")).to_contain_text("Allergy not shown")
    check(page, axe_check, screenshot, "journey-import-preview")
    assert not Hazard.objects.filter(log=target).exists()

    # Another system's workbook: the preview shows how its cover differs and asks what to do with the log's.
    page.get_by_label("Import the hazards and replace this log's cover page with the workbook's").check()
    page.get_by_role("button", name="Confirm import").click()
    expect(page).to_have_url(at(reverse("hazardlog:log_detail", args=[target.pk])))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("imported")
    expect(page.locator(".hl-hazard-table tbody tr")).to_have_count(2)
    assert sorted(Hazard.objects.filter(log=target).values_list("name", flat=True)) == [
        "Allergy not shown",
        "Dose rounded wrongly",
    ]
