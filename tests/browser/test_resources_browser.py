"""The guidance in a real browser, without signing in: NHS.UK layout, rating colours, page links, axe."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog import models, nhs_matrix
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def nhs_data(live_server):
    # live_server flushes the tables after each test, so an earlier browser test may have removed the
    # matrix that migration 0002 loads.
    if not models.RiskMatrix.objects.filter(name=nhs_matrix.NAME).exists():
        nhs_matrix.load(models)
    call_command("loaddata", "resources", verbosity=0)


def rgb(colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))


def test_a_visitor_reads_the_risk_matrix_guidance(browser_page, nhs_data, axe_check, screenshot):
    page = browser_page
    page.goto(reverse("resources:index"))
    assert page.title() == "Resources – Hazard Log – NHS"
    expect(page.get_by_role("link", name="Clinical Safety Hazard Log Template (Excel workbook)")).to_have_attribute(
        "href", "https://digital.nhs.uk/binaries/content/assets/legacy/excel/g/m/hazard_log_template.xlsx"
    )
    axe_check(page)

    page.get_by_role("link", name="Using the risk matrix").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Using the risk matrix")
    expect(page.locator(".nhsuk-contents-list__current")).to_have_text("Using the risk matrix")

    # Each grid cell carries its rating's NHS colour from the app's stylesheet (no inline styles).
    grid = page.locator("table.hl-risk-grid")
    for number, _label, _meaning, colour in nhs_matrix.RATINGS:
        expect(grid.locator(f"td.hl-rating-{number}").first).to_have_css("background-color", rgb(colour))
    very_high = grid.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Very high"))
    expect(very_high.locator(".hl-rating__number")).to_have_text([str(n) for n in nhs_matrix.GRID["Very high"]])

    page.get_by_role("link", name="Acceptability").first.click()
    assert page.url.endswith("#acceptability")
    axe_check(page)
    screenshot(page, "resources-risk-matrix-desktop")

    page.set_viewport_size(PHONE)
    # Too wide for a phone, the grid scrolls sideways in the NHS.UK scroll component, reachable by keyboard.
    expect(page.locator(".nhsuk-scroll__content")).to_have_attribute("tabindex", "0")
    axe_check(page)
    screenshot(page, "resources-risk-matrix-phone")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name=re.compile(r"^Next page\s*:\s*Identifying hazards$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Identifying hazards")
    expect(page.locator("#responsibility")).to_contain_text("remains the responsibility of the organisation")
    axe_check(page)
