"""A deploying organisation's CSO imports the manufacturer's DCB0129 workbook into their DCB0160 log: the
preview warns how the cover differs, confirming asks for a choice, and "hazards only" keeps the log's cover.
Each page is checked with axe at desktop and phone width."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog.models import Hazard, Membership, Role, Standard
from hazardlog.snapshot import build_snapshot
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]


def check(page, axe_check, screenshot, name: str) -> None:
    axe_check(page)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    axe_check(page)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_a_manufacturers_workbook_is_imported_hazards_only(signed_in_page, user, axe_check, screenshot, tmp_path):
    supplier = factories.make_log(
        name="ePMA", standard=Standard.DCB0129, clinical_safety_officer="Dr M Aker", owner="Supplier Ltd"
    )
    factories.make_hazard(supplier, "H1", name="Dose shown in the wrong unit")
    workbook = tmp_path / "supplier.xlsx"
    workbook.write_bytes(write_nhs_workbook(build_snapshot(supplier)))
    trust = factories.make_log(
        name="ePMA", standard=Standard.DCB0160, clinical_safety_officer="Dr D Eployer", owner="Trust Digital"
    )
    Membership.objects.create(log=trust, user=user, role=Role.CSO)

    page = signed_in_page(user)
    page.goto(reverse("hazardlog:import_upload", args=[trust.pk]))
    page.get_by_label("Upload a hazard log workbook").set_input_files(str(workbook))
    page.get_by_role("button", name="Upload and preview").click()
    callout = page.locator("#cover-differences")
    expect(callout).to_contain_text("This workbook's cover page differs from this log's")
    expect(callout.get_by_role("row", name=re.compile("Standard"))).to_contain_text("DCB0160")
    expect(callout.get_by_role("row", name=re.compile("Standard"))).to_contain_text("DCB0129")
    expect(callout.get_by_role("row", name=re.compile("Owner"))).to_contain_text("Supplier Ltd")
    check(page, axe_check, screenshot, "import-cover-differences")

    page.get_by_role("button", name="Confirm import").click()
    expect(page).to_have_title(re.compile("^Error: Import preview"))
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose whether to import the hazards only")
    assert not Hazard.objects.filter(log=trust).exists()
    check(page, axe_check, screenshot, "import-cover-choice-error")

    page.get_by_label("Import the hazards only, and leave this log's cover page as it is").check()
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("the log's cover page was left as it was")
    trust.refresh_from_db()
    assert (trust.owner, trust.clinical_safety_officer) == ("Trust Digital", "Dr D Eployer")
    assert list(Hazard.objects.filter(log=trust).values_list("name", flat=True)) == ["Dose shown in the wrong unit"]
