"""The NHS workbook export, re-opened with openpyxl and checked against the template (domain.md §3)."""

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import MergedCell

from hazardlog.models import Cause, Control, ControlKind, ControlType, HazardStatus, LogIssue
from hazardlog.snapshot import CauseRow, HazardRow, build_snapshot
from hazardlog.workbook.celltext import from_cell
from hazardlog.workbook.numbering import parse_items
from hazardlog.workbook.writer import CellTooLong, write_nhs_workbook
from tests import factories

NHS_WORKBOOK = Path(__file__).resolve().parents[2] / "shared" / "nhs-workbooks" / "NRL Hazard Log V1.7.xlsx"
NHS_HAZARD_SHEET = "DCH NRL Hazard Log"

HEADERS = [
    "Hazard Number",
    "Hazard Name",
    "Hazard Description",
    "Potential Clinical Impact",
    "Possible Causes",
    "Existing Controls",
    "Severity",
    "Likelihood",
    "Risk",
    "Design",
    "Test",
    "Training",
    "BPC",
    "Severity",
    "Likelihood",
    "Risk",
    "Summary of Actions/Notes",
    "Owner",
    "Status",
]
# domain.md §2: likelihood rows Very high … Very low, severity columns Minor … Catastrophic.
GRID = [[3, 4, 4, 5, 5], [2, 3, 3, 4, 5], [2, 2, 3, 3, 4], [1, 2, 2, 3, 4], [1, 1, 2, 2, 3]]
FILLS = {5: "E36C0A", 4: "D99594", 3: "FABF8F", 2: "FFFF66", 1: "9EFEB5"}


def exported(log) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(write_nhs_workbook(build_snapshot(log))))


def row_values(ws, row: int) -> list:
    return [ws.cell(row, column).value for column in range(1, 20)]


def fill_of(cell) -> str:
    return cell.fill.fgColor.rgb[-6:].upper() if cell.fill.fill_type == "solid" else ""


@pytest.fixture
def nhs_template():
    if not NHS_WORKBOOK.exists():
        pytest.skip(f"The NHS workbook {NHS_WORKBOOK} is not here (../shared/nhs-workbooks/)")
    wb = openpyxl.load_workbook(NHS_WORKBOOK)
    yield wb
    wb.close()


def test_it_writes_the_four_sheets_in_the_template_order_and_a_very_hidden_one_of_its_own(log):
    wb = exported(log)
    assert wb.sheetnames == ["Cover Page", "Version History", "Hazard Log", "Risk Matrix", "Export structure"]
    assert [ws.sheet_state for ws in wb.worksheets] == ["visible"] * 4 + ["veryHidden"]


def test_the_group_row_and_the_19_headers_are_the_templates(log):
    ws = exported(log)["Hazard Log"]
    assert row_values(ws, 2) == HEADERS
    assert {str(r) for r in ws.merged_cells.ranges} == {"G1:I1", "J1:M1", "N1:P1", "Q1:S1"}
    assert [ws[c].value for c in ("G1", "J1", "N1", "Q1")] == [
        "Initial Hazard Risk Assessment",
        "Additional Controls",
        "Residual Hazard Risk Assessment",
        "Actions",
    ]
    for cell in (*ws[1], *ws[2]):
        if isinstance(cell, MergedCell):  # openpyxl keeps the style of a merged range's first cell only
            continue
        assert fill_of(cell) == "FFFF99"
        assert cell.alignment.wrap_text
    assert all(cell.font.b for cell in ws[2])


def test_the_headers_match_a_real_nhs_workbook(log, nhs_template):
    nhs = nhs_template[NHS_HAZARD_SHEET]
    ours = exported(log)["Hazard Log"]
    assert row_values(ours, 2) == [nhs.cell(1, column).value for column in range(1, 20)]
    assert fill_of(ours["A2"]) == fill_of(nhs["A1"])


def test_one_row_per_hazard_in_natural_reference_order(log):
    for reference in ("H10", "H2", "H1"):
        factories.make_hazard(log, reference)
    ws = exported(log)["Hazard Log"]
    assert [ws.cell(row, 1).value for row in range(3, 6)] == ["H1", "H2", "H10"]
    assert ws.max_row == 5


def test_causes_are_numbered_and_controls_numbered_by_the_causes_they_answer(log):
    hazard = factories.make_hazard(log, "H1", causes=0)
    causes = [Cause.objects.create(hazard=hazard, number=n, description=f"Cause {n}") for n in (1, 2, 3)]

    def control(number, text, kind=ControlKind.ADDITIONAL, control_type="", answers=()):
        made = Control.objects.create(
            hazard=hazard, number=number, description=text, kind=kind, control_type=control_type
        )
        made.causes.set([causes[n - 1] for n in answers])

    # The factory's own two controls answer no cause: their bare text, before the numbered ones.
    control(3, "Smart card login", ControlKind.EXISTING, answers=(3, 1))
    control(4, "Barcode check", control_type=ControlType.TEST, answers=(2,))
    control(5, "Two-line\n1) text", control_type=ControlType.TRAINING, answers=(1,))
    control(6, "Ward procedure", control_type=ControlType.BUSINESS_PROCESS_CHANGE, answers=(1, 2))
    control(7, "Withdrawn one", control_type=ControlType.TEST, answers=(1,))
    withdrawn = hazard.controls.get(number=7)
    withdrawn.withdrawn = True
    withdrawn.save()

    ws = exported(log)["Hazard Log"]
    assert ws["E3"].value == "1) Cause 1\n2) Cause 2\n3) Cause 3"
    assert ws["F3"].value == "Existing control\n1) Smart card login\n3) Smart card login"
    assert ws["J3"].value == "Additional design control"
    assert ws["K3"].value == "2) Barcode check"
    assert ws["L3"].value == "1) Two-line\n1) text"  # as typed: the hidden sheet says it is one control
    assert ws["M3"].value == "1) Ward procedure\n2) Ward procedure"
    assert parse_items(ws["M3"].value) == [(1, "Ward procedure"), (2, "Ward procedure")]


def test_ratings_are_the_templates_formula_with_the_number_saved_beside_it_and_coloured_by_rating(log):
    factories.make_hazard(log, "H1", initial=("Catastrophic", "Very high"), residual=("Minor", "Very low"))
    factories.make_hazard(log, "H2", initial=("Major", "Low"), residual=None)
    content = write_nhs_workbook(build_snapshot(log))
    ws = openpyxl.load_workbook(io.BytesIO(content))["Hazard Log"]
    assert ws["I3"].value == (
        "=IF(OR(ISBLANK(G3),ISBLANK(H3)),\"\",INDEX('Risk Matrix'!$D$2:$H$6,MATCH(H3,Likelihood,0),"
        "MATCH(G3,Consequence,0)))"
    )
    assert ws["P4"].value.startswith("=IF(OR(ISBLANK(N4),ISBLANK(O4)),") and ws["I4"].data_type == "f"
    # A reader without a calculation engine gets the numbers: the saved results.
    saved = openpyxl.load_workbook(io.BytesIO(content), data_only=True)["Hazard Log"]
    assert (saved["G3"].value, saved["H3"].value, saved["I3"].value) == ("Catastrophic", "Very high", 5)
    assert (saved["N3"].value, saved["O3"].value, saved["P3"].value) == ("Minor", "Very low", 1)
    assert saved["I4"].value == 3  # Major/Low: the NRL workbook typed 2 here; the matrix says 3
    assert saved["N4"].value is None and saved["P4"].value is None  # no residual assessment: the formula gives ""
    # One shared formula per column (as Excel stores a formula filled down), each cell with its saved result.
    xml = _sheet_xml(content, 3)
    assert re.search(
        r'<c r="I3" s="\d+"><f t="shared" ref="I3:I4" si="0">IF\(OR\(ISBLANK\(G3\).*?</f><v>5</v></c>', xml
    )
    assert re.search(r'<c r="I4" s="\d+"><f t="shared" si="0"/><v>3</v></c>', xml)
    assert re.search(r'<c r="P4" s="\d+" t="str"><f t="shared" si="1"/><v></v></c>', xml)
    # Coloured as the NHS copies colour them: a conditional fill per rating over both rating columns.
    rules = {
        (str(cf.sqref), rule.operator, rule.formula[0], rule.dxf.fill.bgColor.rgb[-6:])
        for cf in ws.conditional_formatting
        for rule in cf.rules
    }
    assert rules == {("I3:I4 P3:P4", "equal", str(n), FILLS[n]) for n in FILLS}


def test_status_is_the_templates_word(log):
    factories.make_hazard(log, "H1", status=HazardStatus.TRANSFERRED, status_reason="To the trust")
    assert exported(log)["Hazard Log"]["S3"].value == "Transferred"


def test_named_ranges_resolve_to_the_risk_matrix_with_the_matrix_values(log):
    wb = exported(log)
    ranges = {name: list(wb.defined_names[name].destinations) for name in ("Likelihood", "Consequence")}
    assert ranges == {"Likelihood": [("Risk Matrix", "$C$2:$C$6")], "Consequence": [("Risk Matrix", "$D$7:$H$7")]}
    ws = wb["Risk Matrix"]
    assert [ws[f"C{r}"].value for r in range(2, 7)] == ["Very high", "High", "Medium", "Low", "Very low"]
    assert [ws.cell(7, c).value for c in range(4, 9)] == [
        "Minor",
        "Significant",
        "Considerable",
        "Major",
        "Catastrophic",
    ]
    assert [[ws.cell(r, c).value for c in range(4, 9)] for r in range(2, 7)] == GRID
    assert [[fill_of(ws.cell(r, c)) for c in range(4, 9)] for r in range(2, 7)] == [
        [FILLS[n] for n in row] for row in GRID
    ]
    assert [ws[f"C{r}"].value for r in range(18, 23)] == [5, 4, 3, 2, 1]
    assert ws["D18"].value.startswith("Unacceptable level of risk")
    assert ws["D11"].value.startswith("Certain or almost certain")
    assert ws["J3"].value == "Catastrophic" and ws["K3"].value.startswith("Multiple patients: death")


def test_the_risk_matrix_sits_where_the_nhs_workbook_has_it(log, nhs_template):
    ours, nhs = exported(log), nhs_template
    for name in ("Likelihood", "Consequence"):
        assert list(ours.defined_names[name].destinations) == list(nhs.defined_names[name].destinations)
    theirs, mine = nhs["Risk Matrix"], ours["Risk Matrix"]
    for r in range(2, 7):
        assert [mine.cell(r, c).value for c in range(4, 9)] == [theirs.cell(r, c).value for c in range(4, 9)]
        assert [fill_of(mine.cell(r, c)) for c in range(4, 9)] == [fill_of(theirs.cell(r, c)) for c in range(4, 9)]
        assert mine.cell(r, 3).value.casefold() == theirs.cell(r, 3).value.casefold()
    for r in range(18, 23):
        assert mine.cell(r, 3).value == theirs.cell(r, 3).value


def test_drop_downs_on_severity_likelihood_and_status(log):
    factories.make_hazard(log, "H1")
    ws = exported(log)["Hazard Log"]
    validations = {dv.formula1: dv for dv in ws.data_validations.dataValidation}
    assert set(validations) == {"Consequence", "Likelihood", '"Open,Closed,Transferred"'}
    columns = {formula: {(r.min_col, r.max_col) for r in dv.sqref.ranges} for formula, dv in validations.items()}
    assert columns == {
        "Consequence": {(7, 7), (14, 14)},  # G and N
        "Likelihood": {(8, 8), (15, 15)},  # H and O
        '"Open,Closed,Transferred"': {(19, 19)},  # S
    }
    for dv in validations.values():
        assert dv.type == "list" and dv.allow_blank and dv.showErrorMessage
        # From the first hazard down past the last, leaving spare rows for hazards added in Excel.
        assert {(r.min_row, r.max_row > 3) for r in dv.sqref.ranges} == {(3, True)}


def test_frozen_header_autofilter_widths_and_wrapped_text(log):
    factories.make_hazard(log, "H1")
    factories.make_hazard(log, "H2")
    ws = exported(log)["Hazard Log"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:T4"  # T: Date raised, which every hazard has
    widths = {letter: ws.column_dimensions[letter].width for letter in "ABCDEFGHIJKLMNOPQRS"}
    assert all(width >= 7 for width in widths.values())
    assert widths["C"] > widths["A"] and widths["E"] >= 24
    # At most about 300 characters across, so that fitted to landscape A4 the text prints at a readable size.
    assert sum(widths.values()) <= 310
    assert all(cell.alignment.wrap_text for cell in ws[3] if cell.value is not None)


def test_rows_are_as_high_as_their_wrapped_text_and_every_table_cell_has_a_border(log):
    factories.make_hazard(log, "H1", description="\n".join(f"Line {n}" for n in range(1, 11)))
    factories.make_hazard(log, "H2", description="word " * 120)  # one long line, wrapped in a narrow column
    factories.make_hazard(log, "H3", description="Short", clinical_impact="Short", name="Short")
    wb = exported(log)
    ws = wb["Hazard Log"]
    assert ws.row_dimensions[3].height >= 10 * 12.75  # ten lines
    assert ws.row_dimensions[4].height >= 600 / ws.column_dimensions["C"].width * 12.75 / 1.5
    assert ws.row_dimensions[5].height <= 4 * 12.75 + 3  # a short hazard is not made tall
    for row in ws.iter_rows(min_row=1, max_row=5, max_col=19):
        for cell in row:
            if not isinstance(cell, MergedCell):
                assert all(side.style == "thin" for side in (cell.border.left, cell.border.right, cell.border.top)), (
                    cell.coordinate
                )
    purpose = wb["Risk Matrix"]  # a row of the matrix grows with its longest definition
    assert purpose.row_dimensions[4].height > 12.75


def test_it_prints_on_a4_fitted_to_the_page_width_with_the_header_rows_on_every_page(log):
    factories.make_hazard(log, "H1")
    wb = exported(log)
    setups = {
        ws.title: (
            ws.page_setup.paperSize,
            ws.page_setup.orientation,
            ws.page_setup.fitToWidth,
            ws.page_setup.fitToHeight,
            ws.sheet_properties.pageSetUpPr.fitToPage,
        )
        for ws in wb.worksheets
    }
    assert setups == {
        "Cover Page": (9, "portrait", 1, 1, True),
        "Version History": (9, "portrait", 1, 0, True),
        "Hazard Log": (9, "landscape", 1, 0, True),
        "Risk Matrix": (9, "landscape", 1, 1, True),
        "Export structure": (None, None, None, None, None),  # very hidden: never printed
    }
    assert wb["Hazard Log"].print_title_rows == "$1:$2"
    assert not wb["Hazard Log"].col_breaks.brk and wb["Hazard Log"].print_title_cols is None


def test_many_columns_after_s_are_printed_on_pages_of_their_own_beside_each_hazard_s_number_and_name(log):
    # All on one page's width, 19 template columns and a dozen after S printed too small to read.
    hazard = factories.make_hazard(log, "H1", hazard_type="Clinical", status_reason="")
    for assessment in hazard.assessments.all():
        assessment.rationale, assessment.assessed_by, assessment.assessed_at = "Why", "Dr A", date(2026, 1, 5)
        assessment.save()
    control = hazard.controls.first()
    control.owner, control.evidence, control.evidence_url = "Supplier", "Test report", "https://example.org/r"
    control.save()
    ws = exported(log)["Hazard Log"]
    assert ws.max_column > 19 + 8
    assert [b.id for b in ws.col_breaks.brk] == [19]  # after S
    assert ws.page_setup.fitToWidth == 2 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_cols == "$A:$B" and ws.print_title_rows == "$1:$2"


# Cells as a CSO would write them: a cell of one cause or one control is its text alone; texts of several
# lines come back with no escape in front of any line (see numbering.py for the one case that still needs it).
MARKS = re.compile(r"^\\|^\s*•|_x[0-9A-Fa-f]{4}_", re.MULTILINE)


def test_no_cell_carries_a_mark_the_cso_did_not_write(log):
    hazard = factories.make_hazard(log, "H1", causes=0, description="First line\nSecond line")
    Cause.objects.create(hazard=hazard, number=1, description="Units converted the wrong way\nafter an upgrade")
    factories.make_hazard(log, "H2", actions="Check with pharmacy\nthen close")

    wb = exported(log)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not MARKS.search(cell.value), f"{ws.title}!{cell.coordinate}: {cell.value!r}"
    ws = wb["Hazard Log"]
    # H1's only cause, and its controls that answer no cause, each alone in their cell: no number, no bullet.
    assert (ws["E3"].value, ws["F3"].value, ws["J3"].value) == (
        "Units converted the wrong way\nafter an upgrade",
        "Existing control",
        "Additional design control",
    )
    assert ws["E4"].value == "1) Cause 1\n2) Cause 2"


def test_formula_like_text_is_stored_as_text(log):
    payloads = ['=HYPERLINK("http://x","y")', "+44 20 7946 0000", "-1", "@SUM(A1)", "\tindented", "=1+1"]
    hazard = factories.make_hazard(log, "H1", description=payloads[0], clinical_impact=payloads[1])
    hazard.actions, hazard.owner = payloads[2], payloads[3]
    hazard.save()
    log.programme = payloads[5]
    log.save()
    content = write_nhs_workbook(build_snapshot(log))
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb["Hazard Log"]
    for coordinate, text in (("C3", payloads[0]), ("D3", payloads[1]), ("Q3", payloads[2]), ("R3", payloads[3])):
        assert (ws[coordinate].value, ws[coordinate].data_type, ws[coordinate].quotePrefix) == (text, "s", True)
    assert (wb["Cover Page"]["B9"].value, wb["Cover Page"]["B9"].data_type) == (payloads[5], "s")
    assert not any(re.search("<f[ >]", _sheet_xml(content, n)) for n in (1, 2, 4))  # the Hazard Log's: ratings
    assert _sheet_xml(content, 3).count("<f ") == 2


def test_control_characters_do_not_stop_the_export_and_come_back_exactly(log):
    text = "Pasted from Word\x0bnext\x01\x1f line\r\nCRLF _x0041_ stays literal\ttab"
    factories.make_hazard(log, "H1", description=text, name="Name with \x0c form feed")
    ws = exported(log)["Hazard Log"]
    assert from_cell(ws["C3"].value) == text
    assert from_cell(ws["B3"].value) == "Name with \x0c form feed"


def test_long_text_full_of_control_characters_is_not_cut_short():
    text = ("x" * 60 + "\x0b") * 500  # 30,500 characters, 500 of which are escaped to 7
    snapshot = _snapshot_with(HazardRow(reference="H1", name="Long", description=text))
    ws = openpyxl.load_workbook(io.BytesIO(write_nhs_workbook(snapshot)))["Hazard Log"]
    assert from_cell(ws["C3"].value) == text


def test_a_cell_too_long_for_a_spreadsheet_is_refused_not_truncated():
    causes = tuple(CauseRow(n, "c" * 20_000) for n in (1, 2))
    snapshot = _snapshot_with(HazardRow(reference="EPMA-7", name="Many causes", causes=causes))
    with pytest.raises(CellTooLong, match=r"Hazard EPMA-7, Possible Causes: the cell would hold 40,007 characters"):
        write_nhs_workbook(snapshot)


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=200))
def test_any_text_comes_back_byte_identical(text):
    snapshot = _snapshot_with(HazardRow(reference="H1", name="n", description=text, actions=text))
    wb = openpyxl.load_workbook(io.BytesIO(write_nhs_workbook(snapshot)), read_only=True)
    row = next(wb["Hazard Log"].iter_rows(min_row=3, max_row=3, values_only=True))
    wb.close()
    assert from_cell(row[2] if row[2] is not None else "") == text
    assert from_cell(row[16] if row[16] is not None else "") == text


def test_the_cover_page_holds_the_logs_cover_fields(matrix):
    log = factories.make_log(
        matrix=matrix,
        name="EPMA",
        programme="Medicines",
        sub_programme="ePMA rollout",
        programme_director="P Director",
        owner="O Wner",
        author="A Uthor",
        document_reference="CRM-HL-001",
        document_status="Draft",
        version="1.10",
        version_date=date(2026, 11, 25),
        purpose="Records the clinical hazards of ePMA.",
    )
    ws = exported(log)["Cover Page"]
    cells = {c: ws[c].value for c in ("A8", "B9", "B10", "B11", "B12", "B13", "C10", "D11", "D12", "A18", "B14")}
    assert cells == {
        "A8": "Clinical Safety Hazard Log - EPMA",
        "B9": "Medicines",
        "B10": "ePMA rollout",
        "B11": "P Director",
        "B12": "O Wner",
        "B13": "A Uthor",
        "C10": "CRM-HL-001",
        "D11": "Draft",
        "D12": "1.10",
        "A18": "Records the clinical hazards of ePMA.",
        "B14": "Dr A Clinician",
    }
    assert ws["D13"].value.date() == date(2026, 11, 25)
    labels = [ws[c].value for c in ("A9", "A10", "A11", "A12", "A13", "C9", "C11", "C12", "C13", "A17")]
    assert labels == [
        "Programme",
        "Sub-Prog / Project",
        "Prog. Director",
        "Owner",
        "Author",
        "Document Record ID Key",
        "Status",
        "Version",
        "Version Date",
        "Document Purpose",
    ]


def test_the_cover_labels_sit_where_the_nhs_workbook_has_them(log, nhs_template):
    ours, theirs = exported(log)["Cover Page"], nhs_template["Cover Page"]
    for coordinate in ("A9", "A10", "A11", "A12", "A13", "C9", "C11", "C12", "C13", "A17"):
        assert ours[coordinate].value == theirs[coordinate].value


def test_the_version_history_lists_the_approved_issues(log, user):
    user.first_name, user.last_name = "Ada", "Clinician"
    user.save()
    for number, meaning in (("1.0", "Approved for go-live"), ("1.1", "Approved for release 4.2 with CSCR-12")):
        LogIssue.objects.create(
            log=log,
            number=number,
            meaning=meaning,
            approved_by=user,
            workbook=b"",
            workbook_sha256="0" * 64,
            snapshot={},
            snapshot_sha256="0" * 64,
        )
    log.version = "1.2"
    log.save()
    ws = exported(log)["Version History"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[1][:3] == ["Version", "Date", "Amendment History"]
    assert [row[0] for row in rows[2:5]] == ["1.0", "1.1", "1.2"]
    assert rows[3][2] == "Approved for release 4.2 with CSCR-12"
    assert rows[4][2].startswith("Working version")
    titles = {row[0]: i for i, row in enumerate(rows) if row and row[0] in ("Reviewers", "Approved")}
    approved = rows[titles["Approved"] + 3 : titles["Approved"] + 5]
    assert [(row[0], row[2], row[4]) for row in approved] == [
        ("Ada Clinician", "Clinical Safety Officer", "1.0"),
        ("Ada Clinician", "Clinical Safety Officer", "1.1"),
    ]
    assert approved[0][3].date() == LogIssue.objects.get(number="1.0").approved_at.date()
    assert rows[titles["Reviewers"] + 3][0] == "Dr A Clinician"


def _sheet_xml(content: bytes, number: int) -> str:
    return zipfile.ZipFile(io.BytesIO(content)).read(f"xl/worksheets/sheet{number}.xml").decode()


def _snapshot_with(*hazards):
    """A snapshot built in memory (the writer needs no database): the NHS matrix and the given hazards."""
    from hazardlog import nhs_matrix
    from hazardlog.snapshot import LogSnapshot, MatrixData

    severity_names = [name for _, name, _ in nhs_matrix.SEVERITIES]
    matrix = MatrixData(
        name=nhs_matrix.NAME,
        version=nhs_matrix.VERSION,
        severities=tuple((name, text) for _, name, text in nhs_matrix.SEVERITIES),
        likelihoods=tuple((name, text) for _, name, text in nhs_matrix.LIKELIHOODS),
        ratings=tuple(nhs_matrix.RATINGS),
        grid=tuple(tuple(nhs_matrix.GRID[name]) for _, name, _ in nhs_matrix.LIKELIHOODS),
    )
    assert len(severity_names) == 5
    cover = dict.fromkeys(
        (
            "name",
            "standard",
            "clinical_safety_officer",
            "programme",
            "sub_programme",
            "programme_director",
            "owner",
            "author",
            "document_reference",
            "document_status",
            "version",
            "purpose",
        ),
        "",
    )
    cover["standard"] = "DCB0129"
    return LogSnapshot(**cover, version_date=None, matrix=matrix, hazards=hazards)
