"""The admin journey of the data import in a real browser: export the controls' data file from the admin,
edit it as a CSO would, upload it, read the preview, confirm. axe checks the import pages."""

import io

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog.models import AdminImportUpload, Control, ImplementationStatus
from tests import factories
from tests.browser.conftest import _axe_source, _describe

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]


def admin_axe_check(page):
    """The harness's axe check (serious and critical violations fail) without axe's CSS preload: the admin's
    forms.css @imports widgets.css, which axe's preload re-creates as a <style> element that the
    Content-Security-Policy ('self') blocks, and the harness fails a page on that console error."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    results = page.evaluate("() => window.axe.run(document, {resultTypes: ['violations'], preload: false})")
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"axe found problems on {page.url}:\n{_describe(serious)}"


def test_a_staff_user_exports_edits_imports_and_confirms(signed_in_page, django_user_model, screenshot, tmp_path):
    admin = django_user_model.objects.create_superuser("admin", "admin@example.org", "x")
    log = factories.make_log(name="Electronic prescribing")
    factories.make_hazard(log, "EPMA-001")
    page = signed_in_page(admin)

    page.goto(reverse("admin:hazardlog_control_changelist"))
    page.get_by_role("link", name="Export", exact=True).click()
    page.get_by_label("Format").select_option(label="xlsx")
    with page.expect_download() as download:
        page.get_by_role("button", name="Submit").click()
    exported = download.value.path().read_bytes()

    # The CSO records that the additional control is verified, and who owns it.
    wb = openpyxl.load_workbook(io.BytesIO(exported))
    ws = wb.worksheets[0]
    headers = [cell.value for cell in ws[1]]
    ws.cell(3, headers.index("Implementation Status") + 1).value = "Verified"
    ws.cell(3, headers.index("Control Owner") + 1).value = "Pharmacy team"
    edited = tmp_path / "epma-data.xlsx"
    wb.save(edited)

    page.goto(reverse("admin:hazardlog_control_changelist"))
    page.get_by_role("link", name="Import", exact=True).click()
    admin_axe_check(page)
    page.get_by_label("Hazard log").select_option(label=str(log))
    page.get_by_label("File to import").set_input_files(edited)
    expect(page.get_by_label("Format")).to_have_value("0")  # guessed from the file name: xlsx
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_text("into the hazard log")).to_contain_text("Electronic prescribing")
    update = page.locator("tr.update")
    expect(update).to_have_count(1)
    expect(update).to_contain_text("Pharmacy team")
    assert AdminImportUpload.objects.count() == 1
    assert Control.objects.get(number=2).implementation_status == ImplementationStatus.PROPOSED
    admin_axe_check(page)
    screenshot(page, "admin-import-preview")

    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_contain_text("Import finished: 0 new, 1 updated, 0 deleted and 1 skipped")
    control = Control.objects.get(number=2)
    assert (control.implementation_status, control.owner) == (ImplementationStatus.VERIFIED, "Pharmacy team")
    assert control.history.first().history_user == admin
    assert not AdminImportUpload.objects.exists()
