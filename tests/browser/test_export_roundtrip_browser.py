"""A CSO edits this app's exported workbook in Excel and imports it back: the preview counts the export's own
hidden sheet apart from the CSO's cells, and says which row was edited and read as it shows. Checked with axe
at desktop and phone width."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog.models import Membership, Role
from hazardlog.snapshot import build_snapshot
from hazardlog.workbook import layout, structure
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]


def test_an_exported_workbook_edited_in_excel_is_previewed_saying_what_was_read(
    signed_in_page, user, axe_check, screenshot, tmp_path
):
    log = factories.make_log(name="ePMA")
    Membership.objects.create(log=log, user=user, role=Role.CSO)
    factories.make_hazard(log, "H1", name="Dose shown in the wrong unit")
    hazard = factories.make_hazard(log, "H2", name="Wrong patient selected")
    cause = hazard.causes.get(number=2)
    cause.description = "Two patients on the ward\n2) share a surname"  # a line like a number: laid out, hidden
    cause.save()
    wb = openpyxl.load_workbook(io.BytesIO(write_nhs_workbook(build_snapshot(log))))
    wb[layout.HAZARD_SHEET]["E4"] = "1) Cause 1\n2) Cause 2, reworded in Excel"
    workbook = tmp_path / "edited.xlsx"
    wb.save(workbook)

    page = signed_in_page(user)
    page.goto(reverse("hazardlog:import_upload", args=[log.pk]))
    page.get_by_label("Upload a hazard log workbook").set_input_files(str(workbook))
    page.get_by_role("button", name="Upload and preview").click()
    tally = page.locator("#tally")
    expect(tally).to_contain_text(f"In this app's own hidden sheet '{structure.SHEET}'")
    expect(page.get_by_text(re.compile(r"Row 4 \(hazard H2\) was changed in Excel after the export"))).to_be_visible()
    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        axe_check(page)
        screenshot(page, f"import-preview-edited-export-{name}")
