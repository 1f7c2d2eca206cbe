"""Bounded work for any upload (issue 10): a file within the size limits is refused early, naming the
limit it passed, or previewed with a report and a page of bounded size; old previews are cleaned up;
request bodies are limited in the app; text the database cannot store is refused with the cell named.
Hostile workbooks are written as XML straight into the zip (tests/hostile_workbooks.py)."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from hazardlog import bodylimit, datafiles
from hazardlog.imports import CHANGE_CHARS, confirm_import, preview_import
from hazardlog.models import ImportRecord, ImportStatus
from hazardlog.workbook.guard import UploadRefused
from hazardlog.workbook.reader import read_workbook
from tests import hostile_workbooks as hostile
from tests.import_files import SHEET_XML, hazard_row, nhs_matrix_data, rewrite, set_cell_xml, workbook


def refusal(record) -> str:
    assert record.status == ImportStatus.REFUSED and record.content == b""
    return " ".join(m["message"] for m in record.report["messages"] if m["level"] == "error")


# Work bounds, checked while streaming ----------------------------------------------------------------------


def test_thousands_of_junk_zip_parts_are_refused_naming_the_limit(member_log, user):
    record = preview_import(member_log, "parts.xlsx", hostile.junk_parts(5_000), user)
    assert "is made of 5,005 parts, more than the 1,000 allowed" in refusal(record)


def test_rows_past_the_limit_are_refused_while_reading_at_the_default_limit(member_log, user):
    """The issue's file: a small upload of name-only rows (here 60,000: the default limit is 50,000)."""
    record = preview_import(member_log, "names.xlsx", hostile.name_only_rows(60_000), user)
    assert "more than 50,000 rows in the sheets read (the limit was passed at row 50,001 of 'Hazard Log')" in refusal(
        record
    )


def test_styled_blank_rows_count_as_rows(member_log, user, settings):
    settings.HAZARDLOG_MAX_ROWS = 1_000
    record = preview_import(member_log, "blank.xlsx", hostile.styled_blank_rows(2_000), user)
    assert "more than 1,000 rows in the sheets read (the limit was passed at row 1,001" in refusal(record)


def test_styled_blank_cells_count_as_cells(member_log, user, settings):
    settings.HAZARDLOG_MAX_CELLS = 5_000
    record = preview_import(member_log, "cells.xlsx", hostile.styled_blank_cells(400, 26), user)
    assert "more than 5,000 cells in the sheets read" in refusal(record)


def test_merged_ranges_count_the_cells_they_fill(settings):
    """One merged range over a million rows would make the reader fill a million cells."""
    settings.HAZARDLOG_MAX_CELLS = 5_000
    merge = '</sheetData><mergeCells count="1"><mergeCell ref="C2:C1048576"/></mergeCells>'
    content = rewrite(workbook([hazard_row("H1")]), SHEET_XML, lambda xml: xml.replace("</sheetData>", merge))
    with pytest.raises(UploadRefused, match="more than 5,000 cells"):
        read_workbook(content, nhs_matrix_data(), max_hazards=10)


def test_xml_tags_past_the_limit_are_refused_before_parsing(member_log, user, settings):
    settings.HAZARDLOG_MAX_XML_TAGS = 10_000
    record = preview_import(member_log, "tags.xlsx", hostile.styled_blank_rows(20_000), user)
    assert "holds more than 10,000 XML tags when unpacked" in refusal(record)


def test_shared_strings_past_the_cell_limit_are_refused(member_log, user, settings):
    settings.HAZARDLOG_MAX_CELLS = 100
    strings = "".join(f"<si><t>{n}</t></si>" for n in range(200))
    content = hostile.xlsx(
        {"Hazard Log": [hostile.HEADER]},
        extra={"xl/sharedStrings.xml": f'<sst xmlns="{hostile.MAIN}">{strings}</sst>'},
        content_types='<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>',
    )
    record = preview_import(member_log, "strings.xlsx", content, user)
    assert "holds more than 100 different texts" in refusal(record)


# The report and the preview page, bounded ------------------------------------------------------------------


def test_the_report_keeps_a_bounded_number_of_messages_and_counts_them_all(member_log, user, settings):
    settings.HAZARDLOG_MAX_MESSAGES = 50
    record = preview_import(member_log, "names.xlsx", hostile.name_only_rows(300), user)
    assert len(record.report["messages"]) == 50
    assert record.counts["warnings"] == 301  # one a row, and the sheet's: no Status column, Open proposed
    assert record.report["messages_not_listed"] == {"error": 0, "warning": 251}


def test_a_change_is_shown_clipped_in_the_report(member_log, user):
    confirm_import(preview_import(member_log, "v1.xlsx", workbook([hazard_row("H1")]), user), user)
    long = "x" * (CHANGE_CHARS + 500)
    record = preview_import(member_log, "v2.xlsx", workbook([hazard_row("H1", description=long)]), user)
    change = next(c for c in record.report["hazards"][0]["changes"] if c["field"] == "Hazard description")
    assert change["new"] == "x" * CHANGE_CHARS + "… (500 more characters not shown here)"


def test_the_preview_page_lists_one_page_at_a_time(client, member_log, user):
    record = preview_import(member_log, "many.xlsx", hostile.hazards(450), user)
    assert record.status == ImportStatus.PREVIEWED, record.report["messages"][:3]
    client.force_login(user)
    url = reverse("hazardlog:import_preview", args=[member_log.pk, record.pk])
    first = client.get(url).content.decode()
    assert "Page 1 of 3" in first and "H201 Hazard 201" in first and "H202 Hazard 202" not in first
    third = client.get(url, {"page": 3}).content.decode()
    assert "H402 Hazard 402" in third and "H201 Hazard 201" not in third


# Old previews -----------------------------------------------------------------------------------------------


def test_old_previews_are_cancelled_and_their_uploads_dropped_never_deleted(member_log, user):
    old = preview_import(member_log, "old.xlsx", workbook([hazard_row("H1")]), user)
    recent = preview_import(member_log, "recent.xlsx", workbook([hazard_row("H1")]), user)
    ImportRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    out = io.StringIO()
    call_command("clean_import_previews", "--hours", "24", stdout=out)
    assert out.getvalue() == "Cancelled 1 import preview older than 24 hours.\n"
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, bytes(old.content), old.report["expired"]) == (ImportStatus.CANCELLED, b"", True)
    assert old.report["counts"]["create"] == 1  # the report stays
    assert recent.status == ImportStatus.PREVIEWED and bytes(recent.content)
    assert ImportRecord.objects.count() == 2


# Request bodies ---------------------------------------------------------------------------------------------


def test_a_large_post_to_the_sign_in_page_is_refused_before_it_is_read(client):
    response = client.post(reverse("login"), {"username": "a"}, CONTENT_LENGTH=str(300 * 1024 * 1024))
    assert response.status_code == 413
    assert "The file or form is too large" in response.content.decode()


def test_the_import_pages_accept_an_upload_and_its_form_and_every_other_page_much_less(client, user, settings):
    upload = settings.HAZARDLOG_MAX_UPLOAD_BYTES + 1024 * 1024
    assert bodylimit.limit_for(reverse("hazardlog:import_upload", args=[1])) == upload
    assert bodylimit.limit_for(reverse("admin:hazardlog_control_import")) == upload
    assert bodylimit.limit_for(reverse("hazardlog:import_preview", args=[1, 2])) == 2 * 1024 * 1024
    assert bodylimit.limit_for("/no/such/page/") == 2 * 1024 * 1024
    client.force_login(user)
    over = reverse("hazardlog:import_upload", args=[1])
    assert client.post(over, CONTENT_LENGTH=str(upload + 1)).status_code == 413
    assert client.post(reverse("hazardlog:log_list"), CONTENT_LENGTH=str(3 * 1024 * 1024)).status_code == 413


def test_a_chunked_body_is_refused(client):
    assert client.post(reverse("login"), HTTP_TRANSFER_ENCODING="chunked").status_code == 411


def test_form_fields_are_limited_by_django_too(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.HAZARDLOG_MAX_BODY_BYTES == 2 * 1024 * 1024


# Characters the database cannot store ----------------------------------------------------------------------


def nul_workbook() -> bytes:
    return set_cell_xml(
        workbook([hazard_row("H1"), hazard_row("H7")]), "C3", '<c r="C3" t="inlineStr"><is><t>A_x0000_B</t></is></c>'
    )


def test_a_nul_character_is_refused_at_preview_naming_the_cell(member_log, user):
    record = preview_import(member_log, "nul.xlsx", nul_workbook(), user)
    assert "Cell C3 (Hazard Description) holds a NUL character, which cannot be stored." in refusal(record)
    assert "\\u0000" not in str(record.report) and "\x00" not in str(record.report)


def test_the_command_line_prints_the_nul_refusal_and_exits_non_zero(db, tmp_path):
    path = tmp_path / "nul.xlsx"
    path.write_bytes(nul_workbook())
    out = io.StringIO()
    with pytest.raises(CommandError, match="The import was refused; nothing was written."):
        call_command("import_hazard_log", str(path), "--log", "NUL", stdout=out)
    assert "Hazard Log!C3: Cell C3 (Hazard Description) holds a NUL character" in out.getvalue()


def test_the_admin_data_import_refuses_a_nul_character_naming_the_cell():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = datafiles.SHEET_TITLE
    sheet.append(["Hazard Number", "Control"])
    sheet.append(["H1", "Before_x0000_after"])
    out = io.BytesIO()
    book.save(out)
    columns = datafiles.Columns(headers=("Hazard Number", "Control"), required=("Hazard Number",))
    with pytest.raises(UploadRefused, match="Row 2, column B: the cell holds a NUL character, which cannot be stored"):
        datafiles.read_xlsx(out.getvalue(), "data.xlsx", columns)


def test_the_admin_data_import_refuses_rows_past_the_limit(settings):
    settings.HAZARDLOG_MAX_ROWS = 100
    csv = ("Hazard Number,Control\r\n" + "H1,x\r\n" * 200).encode()
    columns = datafiles.Columns(headers=("Hazard Number", "Control"), required=("Hazard Number",))
    with pytest.raises(UploadRefused, match="more than 100 lines"):
        datafiles.read_csv(csv, "data.csv", columns)
