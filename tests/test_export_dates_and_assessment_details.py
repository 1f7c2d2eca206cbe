"""The date a hazard was raised and each assessment's rationale, assessor and date (issue 11, item 5): the NHS
workbook export writes them in headed columns after S (dates as date cells), the import reads them back under
those headers and the wordings real logs use, and a re-import compares them like any other field."""

import io
from datetime import date, datetime

import openpyxl
import pytest
from django.utils import timezone

from hazardlog.imports import confirm_import, preview_import
from hazardlog.models import Hazard, ImportStatus
from hazardlog.snapshot import build_snapshot
from hazardlog.workbook import layout
from hazardlog.workbook.reader import CONSUMER, PER_CONTROL, read_workbook
from hazardlog.workbook.writer import DATE_FORMAT, write_nhs_workbook
from tests import factories
from tests.import_files import HEADERS, hazard_row, nhs_matrix_data, workbook

MATRIX = nhs_matrix_data()
DETAIL_HEADERS = [header for key, header in layout.EXTRA_COLUMNS if key.startswith(("initial_", "residual_"))]


def read(content: bytes):
    return read_workbook(content, MATRIX, max_hazards=100)


def said(parsed, level: str) -> list[str]:
    return [f"{m.column}{m.row}: {m.message}" for m in parsed.messages if m.level == level]


def with_columns(headers: list[str], *rows: list) -> bytes:
    """A canonical sheet (H1, H2, …) with `headers` after S and each row's values under them."""
    return workbook([hazard_row(f"H{n}") + values for n, values in enumerate(rows, 1)], headers=HEADERS + headers)


def details(assessment) -> tuple:
    return assessment.rationale, assessment.assessed_by, assessment.assessed_at


def assessed_log(log):
    hazard = factories.make_hazard(log, "H1", raised_on=date(2019, 3, 4))
    initial = hazard.assessments.get(stage="initial")
    initial.rationale, initial.assessed_by, initial.assessed_at = (
        "Seen twice in testing",
        "Dr A Clinician",
        date(2019, 3, 5),
    )
    initial.save()
    factories.make_hazard(log, "H2", raised_on=date(2021, 12, 31))
    return log


def hazard_sheet(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))[layout.HAZARD_SHEET]


def columns_after_s(sheet) -> dict:
    return {sheet.cell(2, c).value: c for c in range(20, sheet.max_column + 1)}


# The export --------------------------------------------------------------------------------------------


def test_the_export_writes_the_date_raised_and_the_assessment_details_in_headed_columns_after_s(log):
    sheet = hazard_sheet(write_nhs_workbook(build_snapshot(assessed_log(log))))
    columns = columns_after_s(sheet)
    # No residual detail on any hazard: no column for them.
    assert list(columns) == [
        "Date raised",
        "Initial risk rationale",
        "Initial risk assessed by",
        "Initial risk assessment date",
    ]
    values = {header: (sheet.cell(3, c).value, sheet.cell(4, c).value) for header, c in columns.items()}
    assert values["Date raised"] == (datetime(2019, 3, 4), datetime(2021, 12, 31))
    assert values["Initial risk rationale"] == ("Seen twice in testing", None)
    assert values["Initial risk assessed by"] == ("Dr A Clinician", None)
    assert values["Initial risk assessment date"] == (datetime(2019, 3, 5), None)


def test_dates_are_date_cells_shown_as_uk_dates_with_the_table_s_border(log):
    sheet = hazard_sheet(write_nhs_workbook(build_snapshot(assessed_log(log))))
    columns = columns_after_s(sheet)
    for header in ("Date raised", "Initial risk assessment date"):
        for row in (3, 4):  # H2 has no assessment date: its empty cell is the column's too
            cell = sheet.cell(row, columns[header])
            assert cell.number_format == DATE_FORMAT, (header, row)
            assert cell.border.left.style == cell.border.bottom.style == "thin", (header, row)
        assert sheet.cell(3, columns[header]).data_type == "d"
    text = sheet.cell(3, columns["Initial risk rationale"])
    assert text.number_format == "General" and text.border.left.style == "thin"


def test_every_hazard_has_a_date_raised_so_the_column_is_always_written(log):
    factories.make_hazard(log, "H1")
    sheet = hazard_sheet(write_nhs_workbook(build_snapshot(log)))
    assert list(columns_after_s(sheet)) == ["Date raised"]
    assert sheet.cell(3, 20).value.date() == Hazard.objects.get(reference="H1").raised_on


# The reader ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", ["Date raised", "Date Raised", "Date identified", "Date Added", "Date hazard raised", "Date logged"]
)
def test_the_date_raised_is_read_under_the_wordings_real_logs_use(header):
    parsed = read(with_columns([header], [datetime(2020, 7, 7)]))
    [item] = parsed.hazards
    assert item.hazard.raised_on == date(2020, 7, 7)
    assert "raised_on" in item.carries
    assert {"column": "T", "header": header, "field": "Date raised"}.items() <= parsed.sources[-1].items()


@pytest.mark.parametrize("header", ["Review date", "Date closed", "Target date", "Date", "Action date"])
def test_other_dates_are_not_read_as_the_date_raised(header):
    parsed = read(with_columns([header], ["07/07/2020"]))
    [item] = parsed.hazards
    assert item.hazard.raised_on is None and "raised_on" not in item.carries
    assert item.hazard.additional_columns == ((header, "07/07/2020"),)


@pytest.mark.parametrize("typed", ["07/07/2020", "07.07.2020", "7-7-2020", "2020-07-07", " 07/07/2020 "])
def test_a_date_typed_as_text_is_read_as_the_reader_reads_other_dates(typed):
    parsed = read(with_columns(["Date raised", "Initial risk assessment date"], [typed, typed]))
    hazard = parsed.hazards[0].hazard
    assert (hazard.raised_on, hazard.initial.assessed_at) == (date(2020, 7, 7), date(2020, 7, 7))
    assert parsed.errors == []


def test_the_assessment_details_are_read_into_each_stage_s_assessment():
    values = ["Initial why", "Dr Initial", datetime(2020, 1, 2), "Residual why", "Dr Residual", "03/04/2021"]
    parsed = read(with_columns(DETAIL_HEADERS, values))
    [item] = parsed.hazards
    initial, residual = item.hazard.initial, item.hazard.residual
    assert details(initial) == ("Initial why", "Dr Initial", date(2020, 1, 2))
    assert details(residual) == ("Residual why", "Dr Residual", date(2021, 4, 3))
    assert {
        f"{stage}.{name}" for stage in ("initial", "residual") for name in layout.ASSESSMENT_DETAILS
    } <= item.carries
    assert parsed.errors == [] and parsed.tally.not_imported == []


def test_only_the_details_the_sheet_has_a_column_for_are_carried():
    [item] = read(with_columns(["Residual risk assessed by"], ["Dr R"])).hazards
    assert "residual.assessed_by" in item.carries
    assert not {"residual.rationale", "residual.assessed_at", "initial.rationale"} & item.carries


@pytest.mark.parametrize("bad", ["next week", "31/02/2020", "2020-13-01", "44000", "07/07/20"])
def test_a_date_that_is_not_a_date_is_an_error_naming_its_cell(bad):
    parsed = read(
        with_columns(["Date raised", "Residual risk assessment date"], [bad, "01/01/2020"], ["01/01/2020", bad])
    )
    errors = said(parsed, "error")
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"T2: T2 (Date raised): '{bad}' is not a date")
    assert errors[1].startswith(f"U3: U3 (Residual risk assessment date): '{bad}' is not a date")


def test_details_on_a_row_without_that_assessment_are_named_not_dropped_nor_made_into_an_assessment():
    row = hazard_row("H1", residual_severity=None, residual_likelihood=None, residual_rating=None)
    content = workbook([row + ["Why", "Dr R", "01/01/2020"]], headers=HEADERS + DETAIL_HEADERS[3:])
    parsed = read(content)
    hazard = parsed.hazards[0].hazard
    assert hazard.residual is None and parsed.errors == []
    warnings = said(parsed, "warning")
    for cell, header in zip(("T2", "U2", "V2"), DETAIL_HEADERS[3:], strict=True):
        assert any(
            w.startswith(f"{cell}: {cell} ({header}) has a value, but row 2 has no residual assessment")
            for w in warnings
        ), warnings
    dropped = {c["cell"] for c in parsed.tally.not_imported}
    assert {"T2", "U2", "V2"} <= dropped
    assert parsed.tally.read == parsed.tally.stored + parsed.tally.additional + len(parsed.tally.not_imported)


def test_an_empty_date_raised_is_said_and_left_to_the_import():
    parsed = read(with_columns(["Date raised"], [None], ["01/02/2020"]))
    first, second = parsed.hazards
    assert first.hazard.raised_on is None and "raised_on" not in first.carries
    assert second.hazard.raised_on == date(2020, 2, 1)
    assert any(w.startswith("T2: T2 (Date raised) is empty for hazard H1") for w in said(parsed, "warning"))


def test_the_one_row_per_control_and_consumer_layouts_read_the_date_raised_too():
    headers = ["Hazard Number", "Hazard Name", "Possible Causes", "Additional Controls", "Control Type", "Date raised"]
    rows = [
        ["H1", "Wrong patient", "0101 Wrong record", "010101 Check", "Design", "07/07/2020"],
        ["H1", "Wrong patient", "0102 Stale cache", "010201 Expire", "Test", "07/07/2020"],
    ]
    parsed = read(workbook(rows, headers=headers))
    assert parsed.layout == PER_CONTROL and parsed.hazards[0].hazard.raised_on == date(2020, 7, 7)
    consumer = read(workbook([["H1", "Wrong patient", "Cause", "08/07/2020"]], headers=headers[:3] + ["Date raised"]))
    assert consumer.layout == CONSUMER and consumer.hazards[0].hazard.raised_on == date(2020, 7, 8)


def test_the_one_row_per_control_layout_reads_the_details_of_its_hazard_s_assessment_once():
    headers = ["Hazard Number", "Hazard Name", "Possible Causes", "Additional Controls", "Control Type"]
    headers += ["Initial Severity", "Initial Likelihood", "Initial risk rationale", "Residual risk rationale"]
    rows = [
        ["H1", "Wrong patient", "0101 Wrong record", "010101 Check", "Design", "Major", "Low", "Why", "Orphan"],
        ["H1", "Wrong patient", "0102 Stale cache", "010201 Expire", "Test", "Major", "Low", "Why", "Orphan"],
    ]
    parsed = read(workbook(rows, headers=headers))
    hazard = parsed.hazards[0].hazard
    assert parsed.layout == PER_CONTROL and hazard.initial.rationale == "Why" and hazard.residual is None
    warnings = said(parsed, "warning")
    for cell in ("I2", "I3"):  # no residual assessment: each row's rationale is named
        assert any(w.startswith(f"{cell}: {cell} (Residual risk rationale) has a value, but") for w in warnings)
    assert {c["cell"] for c in parsed.tally.not_imported} >= {"I2", "I3"}


# The import ---------------------------------------------------------------------------------------------


def test_a_new_hazard_gets_the_file_s_dates_and_details(log, user):
    values = ["Initial why", "Dr Initial", "02/01/2020", "Residual why", "Dr Residual", "03/04/2021"]
    content = workbook([hazard_row("H1") + ["04/03/2019", *values]], headers=HEADERS + ["Date raised", *DETAIL_HEADERS])
    confirm_import(preview_import(log, "log.xlsx", content, user), user)
    hazard = Hazard.objects.get(log=log, reference="H1")
    assert hazard.raised_on == date(2019, 3, 4)
    initial, residual = hazard.assessments.get(stage="initial"), hazard.assessments.get(stage="residual")
    assert details(initial) == ("Initial why", "Dr Initial", date(2020, 1, 2))
    assert details(residual) == ("Residual why", "Dr Residual", date(2021, 4, 3))


def test_without_a_date_raised_column_a_new_hazard_is_dated_today_and_an_existing_one_keeps_its_date(log, user):
    factories.make_hazard(log, "H1", raised_on=date(2018, 1, 1))
    record = preview_import(log, "log.xlsx", workbook([hazard_row("H1"), hazard_row("H2")]), user)
    changes = {h["reference"]: h["changes"] for h in record.report["hazards"]}
    assert not [c for c in changes["H1"] if c["field"] == "Date raised"]
    confirm_import(record, user)
    assert Hazard.objects.get(log=log, reference="H1").raised_on == date(2018, 1, 1)
    assert Hazard.objects.get(log=log, reference="H2").raised_on == timezone.localdate(record.applied_at)


def test_re_importing_our_own_export_changes_nothing(log, user):
    content = write_nhs_workbook(build_snapshot(assessed_log(log)))
    record = preview_import(log, "ours.xlsx", content, user)
    assert record.counts["update"] == 0 and record.counts["unchanged"] == 2, record.report["hazards"]


def test_a_changed_date_or_detail_in_the_file_is_an_update_shown_in_the_preview_and_applied(log, user):
    content = write_nhs_workbook(build_snapshot(assessed_log(log)))
    wb = openpyxl.load_workbook(io.BytesIO(content))
    sheet = wb[layout.HAZARD_SHEET]
    columns = columns_after_s(sheet)
    sheet.cell(3, columns["Date raised"]).value = "05/03/2019"
    sheet.cell(3, columns["Initial risk rationale"]).value = "Seen three times in testing"
    sheet.cell(3, columns["Initial risk assessed by"]).value = None
    sheet.cell(4, columns["Initial risk assessment date"]).value = datetime(2022, 1, 1)
    edited = io.BytesIO()
    wb.save(edited)

    record = preview_import(log, "edited.xlsx", edited.getvalue(), user)
    assert record.status == ImportStatus.PREVIEWED
    changes = {h["reference"]: h["changes"] for h in record.report["hazards"]}
    assert changes["H1"] == [
        {"field": "Date raised", "old": "2019-03-04", "new": "2019-03-05"},
        {"field": "Initial risk rationale", "old": "Seen twice in testing", "new": "Seen three times in testing"},
        {"field": "Initial risk assessed by", "old": "Dr A Clinician", "new": ""},
    ]
    assert changes["H2"] == [{"field": "Initial risk assessment date", "old": "", "new": "2022-01-01"}]

    confirm_import(record, user)
    h1, h2 = Hazard.objects.get(log=log, reference="H1"), Hazard.objects.get(log=log, reference="H2")
    initial = h1.assessments.get(stage="initial")
    assert (h1.raised_on, initial.rationale, initial.assessed_by, initial.assessed_at) == (
        date(2019, 3, 5),
        "Seen three times in testing",
        "",
        date(2019, 3, 5),
    )
    assert h2.assessments.get(stage="initial").assessed_at == date(2022, 1, 1)
    assert initial.history.first().history_change_reason.startswith("Imported from edited.xlsx")


# Found in review -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kept", ["Date identified", "Initial rationale"])
def test_an_export_holding_a_column_kept_before_its_header_was_known_re_imports(log, user, kept):
    # An import before these fields kept "Date identified" or "Initial rationale" as an additional column; the
    # export now writes our own column for the field too, and the workbook must still come back unchanged.
    hazard = factories.make_hazard(log, "H1", raised_on=date(2019, 3, 4), additional_columns=[[kept, "as typed"]])
    assessment = hazard.assessments.get(stage="initial")
    assessment.rationale = "Rated on the pilot's incidents"
    assessment.save()
    record = preview_import(log, "ours.xlsx", write_nhs_workbook(build_snapshot(log)), user)
    assert record.status == ImportStatus.PREVIEWED, record.report
    assert record.counts["update"] == 0 and record.counts["create"] == 0
    confirm_import(record, user)
    hazard.refresh_from_db()
    assert hazard.additional_columns == [[kept, "as typed"]] and hazard.raised_on == date(2019, 3, 4)


def test_a_second_date_raised_column_is_kept_not_refused():
    parsed = read(with_columns(["Date identified", "Date logged"], ["07/07/2020", "08/07/2020"]))
    (hazard,) = parsed.hazards
    assert hazard.hazard.raised_on == date(2020, 7, 7)
    assert hazard.hazard.additional_columns == (("Date logged", "08/07/2020"),)


def test_a_control_s_date_is_not_read_as_the_hazard_s_date_raised():
    headers = ["Hazard Number", "Hazard Name", "Possible Causes", "Additional Controls", "Control Type"]
    rows = [
        ["H1", "Wrong patient", "0101 Wrong record", "010101 Check", "Design", "07/07/2020"],
        ["H1", "Wrong patient", "0102 Stale cache", "010201 Expire", "Test", "09/09/2021"],
    ]
    parsed = read(workbook(rows, headers=[*headers, "Date control added"]))
    (hazard,) = parsed.hazards
    assert hazard.hazard.raised_on is None
    dates = [control.additional_columns for control in hazard.hazard.controls]
    assert dates == [(("Date control added", "07/07/2020"),), (("Date control added", "09/09/2021"),)]
    assert parsed.tally.not_imported == []


def test_the_consumer_layout_keeps_assessment_details_it_has_no_assessment_for():
    headers = ["Hazard Number", "Hazard Name", "Possible Causes", "Initial rationale", "Residual assessor"]
    parsed = read(workbook([["H1", "Wrong patient", "Cause", "Why it is rated so", "Dr R"]], headers=headers))
    assert parsed.layout == CONSUMER
    (hazard,) = parsed.hazards
    assert hazard.hazard.additional_columns == (
        ("Initial rationale", "Why it is rated so"),
        ("Residual assessor", "Dr R"),
    )
    assert parsed.tally.additional == 4 and parsed.tally.not_imported == []  # two headers, two values


def test_a_detail_given_on_a_hazard_s_first_row_only_is_no_difference():
    headers = ["Hazard Number", "Hazard Name", "Possible Causes", "Additional Controls", "Control Type"]
    headers += ["Initial Severity", "Initial Likelihood", "Initial risk rationale"]
    rows = [
        ["H1", "Wrong patient", "0101 Wrong record", "010101 Check", "Design", "Major", "Low", "Why"],
        ["H1", "Wrong patient", "0102 Stale cache", "010201 Expire", "Test", "Major", "Low", None],
    ]
    parsed = read(workbook(rows, headers=headers))
    assert parsed.layout == PER_CONTROL
    assert parsed.hazards[0].hazard.initial.rationale == "Why"
    assert not [m for m in said(parsed, "warning") if "differs" in m] and parsed.tally.not_imported == []
