"""Issue 13's walk: a manufacturer's DCB0129 log is approved and exported as issue 1.0; a trust's DCB0160 log
brings it in; the trust's CSO evaluates hazards, accepts a transferred control, adds a local control and rates
locally; the manufacturer approves 1.1 (one re-rated hazard, one new hazard, one new transferred control); the
trust brings in 1.1, sees exactly those three flagged and reviews them; the exports and history show the trail.
Every page is axe-checked."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog import issues
from tests import upstream_data
from tests.browser.test_journeys import at, check
from tests.upstream_data import approve_1_1, deployer_log, manufacturer_log
from upstream.bring_in import read_source
from upstream.models import Evaluation

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]


@pytest.fixture
def maker(django_user_model):
    return django_user_model.objects.create_user(
        "maker", password="correct-horse-battery-staple", first_name="Morgan", last_name="Supplier"
    )


@pytest.fixture
def trust_cso(django_user_model):
    return django_user_model.objects.create_user(
        "trust", password="correct-horse-battery-staple", first_name="Tamsin", last_name="Trust"
    )


def _download_issue_json(page, log, number, tmp_path):
    page.goto(reverse("hazardlog:issue_list", args=[log.pk]))
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Download the snapshot of issue {number} (.json)").click()
    path = tmp_path / f"issue-{number}.json"
    download_info.value.save_as(path)
    return path


def _evaluation_page(page, log, reference):
    evaluation = Evaluation.objects.get(log=log, reference_key=reference.lower())
    page.goto(reverse("upstream:evaluation", args=[log.pk, evaluation.pk]))


def _applies(page):
    page.get_by_role("link", name="Change whether the hazard applies").click()
    page.get_by_label("Yes, it applies").check()
    page.get_by_role("button", name="Save applicability").click()
    expect(page.locator("#applicability")).to_contain_text("Applies to this deployment")


def test_the_hand_off_from_manufacturer_to_deployer(signed_in_page, maker, trust_cso, axe_check, screenshot, tmp_path):
    supplier_log = manufacturer_log(maker)
    issues.approve_issue(supplier_log, "1.0", "Release 1.0", maker)
    page = signed_in_page(maker)
    first_file = _download_issue_json(page, supplier_log, "1.0", tmp_path)

    trust_log = deployer_log(trust_cso)
    page = signed_in_page(trust_cso)
    page.goto(reverse("hazardlog:log_detail", args=[trust_log.pk]))
    page.get_by_role("link", name="Manufacturers' hazard logs brought in").click()
    page.get_by_role("link", name="Bring in a manufacturer's hazard log").click()
    page.get_by_role("button", name="Bring in").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose the manufacturer's hazard log file")
    check(page, axe_check, screenshot, "upstream-bring-in-error")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("The manufacturer's hazard log").set_input_files(first_file)
    page.get_by_label("Manufacturer", exact=True).fill("Supplier Ltd")
    page.get_by_role("button", name="Bring in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Supplier Ltd ePMA Supplier System version 1.0")
    expect(page.locator(".nhsuk-notification-banner").first).to_contain_text("3 hazards")
    check(page, axe_check, screenshot, "upstream-source")
    page.set_viewport_size({"width": 1280, "height": 900})

    # H1: applies; its transferred control accepted; a local control and local ratings in the hazard editor.
    page.get_by_role("link", name="Wrong dose displayed").click()
    page.get_by_role("button", name="Start the evaluation").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Local hazard H1 added to this log")
    _applies(page)
    page.get_by_role("link", name="Decide on control 3").click()
    page.get_by_label("Accepted").check()
    page.get_by_label("Owner (optional)").fill("Pharmacy lead")
    page.get_by_label("Implementation status").select_option(label="Implemented")
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator("#transfers")).to_be_visible()
    page.get_by_role("link", name="Edit the local causes, controls and ratings").click()
    page.get_by_role("textbox", name="Cause 1", exact=True).fill("Agency staff unfamiliar with dose units")
    additional = page.get_by_role("group", name="Additional control 1")
    additional.get_by_label("Description").fill("Ward induction covers dose units")
    additional.get_by_label("Type").select_option(label="Training")
    initial = page.locator("#initial-risk")
    initial.get_by_label("Major").check()
    initial.get_by_label("Medium").check()
    residual = page.locator("#residual-risk")
    residual.get_by_label("Major").check()
    residual.get_by_label("Very low").check()
    page.get_by_label("Reason for the change").fill("Local evaluation of the supplier's H1")
    page.get_by_role("button", name="Save hazard").last.click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Hazard H1 saved.")
    _evaluation_page(page, trust_log, "H1")
    expect(page.locator("#evaluation-state")).to_contain_text("Evaluated")
    expect(page.locator("#upstream-initial")).to_contain_text("3 (Major / Medium)")
    expect(page.locator("#local-controls")).to_contain_text("Ward induction covers dose units")
    check(page, axe_check, screenshot, "upstream-evaluation")
    page.set_viewport_size({"width": 1280, "height": 900})
    for reference in ("H2", "H3"):
        _evaluation_page(page, trust_log, reference)
        _applies(page)
    page.goto(reverse("hazardlog:log_detail", args=[trust_log.pk]))
    expect(page.locator("#upstream-counts")).to_contain_text("3 hazards from manufacturers: 0 not evaluated yet")
    expect(page.get_by_role("table")).to_contain_text("From Supplier Ltd H1")

    # The manufacturer approves 1.1 and exports it; the trust brings it in over 1.0.
    approve_1_1(supplier_log, maker)
    page = signed_in_page(maker)
    second_file = _download_issue_json(page, supplier_log, "1.1", tmp_path)
    page = signed_in_page(trust_cso)
    page.goto(reverse("upstream:bring_in", args=[trust_log.pk]))
    page.get_by_label("The manufacturer's hazard log").set_input_files(second_file)
    page.get_by_label("Which version does it supersede?").select_option(
        label="Supplier Ltd ePMA Supplier System version 1.0"
    )
    page.get_by_role("button", name="Bring in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 1.1")
    expect(page.locator("#diff-added")).to_have_text("H4 Infusion rate rounded")
    expect(page.locator("#diff-rerated")).to_have_text(re.compile(r"^H2 Residual risk: 3 \(Major / Low\) → 4"))
    expect(page.locator("#diff-transfers")).to_have_text(re.compile(r"^H3 Control 3 \(additional, Business Process"))
    expect(page.locator("#diff-removed")).to_have_text("None")
    check(page, axe_check, screenshot, "upstream-new-version")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(reverse("upstream:source_list", args=[trust_log.pk]))
    flagged = page.locator("#flagged + ul > li")
    expect(flagged).to_have_count(3)
    expect(page.locator("#count-review")).to_have_text("3")
    check(page, axe_check, screenshot, "upstream-sources")
    page.set_viewport_size({"width": 1280, "height": 900})
    for reference in ("H2", "H3", "H4"):
        page.goto(reverse("upstream:source_list", args=[trust_log.pk]))
        page.get_by_role("link", name=f"Supplier Ltd {reference}").click()
        expect(page.locator("#needs-review")).to_be_visible()
        page.get_by_role("link", name="Mark as reviewed").click()
        page.get_by_role("button", name="Mark as reviewed").click()
        expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter what you reviewed and concluded")
        if reference == "H2":
            check(page, axe_check, screenshot, "upstream-review-error")
            page.set_viewport_size({"width": 1280, "height": 900})
        page.wait_for_load_state()  # the refused page fully loaded before typing into it
        answer = page.get_by_label("What did you review, and what did you conclude?")
        answer.fill(f"{reference}: reviewed with pharmacy")
        expect(answer).to_have_value(f"{reference}: reviewed with pharmacy")
        page.get_by_role("button", name="Mark as reviewed").click()
        expect(page.locator("#needs-review")).to_have_count(0)
    expect(page.locator("#history")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="H4: reviewed with pharmacy")).to_be_visible()
    page.goto(reverse("upstream:source_list", args=[trust_log.pk]))
    expect(page.locator("#count-review")).to_have_text("0")
    # H3's new transferred control and the new H4 are still to evaluate.
    expect(page.locator("#count-not-evaluated")).to_have_text("2")

    # The trust's export marks its local hazard with the manufacturer's reference; the history shows the trail.
    page.goto(reverse("hazardlog:log_detail", args=[trust_log.pk]))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the NHS hazard log workbook (.xlsx)").click()
    exported = download_info.value.path().read_bytes()
    assert list(upstream_data.manufacturer_marks(exported).values()) == [
        "Supplier Ltd ePMA Supplier System version 1.1: H1"
    ]
    assert len(read_source("trust.xlsx", exported).hazards) == 1
    page.goto(reverse("hazardlog:log_history", args=[trust_log.pk]))
    expect(page.locator("main")).to_contain_text("Local evaluation of the supplier's H1")
    expect(page.locator("main")).to_contain_text("Evaluation of Supplier Ltd ePMA Supplier System hazard H1 started")
    axe_check(page)
    assert page.url and at(reverse("hazardlog:log_history", args=[trust_log.pk])).match(page.url)
