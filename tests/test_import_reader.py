"""The workbook reader on its own: layouts, headers, numbered cells, normalisation, ratings, dates and
what Excel hides (merged cells, hidden rows). Pure: no database."""

from datetime import date, datetime

import pytest

from hazardlog.workbook import layout
from hazardlog.workbook.guard import UploadRefused
from hazardlog.workbook.reader import CANONICAL, CONSUMER, PER_CONTROL, read_workbook
from tests.import_files import (
    GROUP_ROW,
    HEADERS,
    SHEET_XML,
    hazard_row,
    nhs_matrix_data,
    rewrite,
    set_cell_xml,
    workbook,
)

MATRIX = nhs_matrix_data()
NO_STATUS_COLUMN = "The sheet has no Status column: new hazards are proposed as Open (existing ones keep theirs)."


def read(content: bytes, max_hazards: int = 100):
    return read_workbook(content, MATRIX, max_hazards=max_hazards)


def messages(parsed, level="warning") -> list[str]:
    return [f"{m.column}{m.row or ''}: {m.message}" for m in parsed.messages if m.level == level]


def test_it_reads_a_canonical_row_field_by_field():
    parsed = read(workbook([hazard_row("H1", owner="Trust CSO", actions="Review in May")]))
    assert parsed.layout == CANONICAL and parsed.sheet == "Hazard Log" and parsed.errors == []
    [item] = parsed.hazards
    hazard = item.hazard
    assert (hazard.reference, hazard.name, hazard.owner, hazard.actions, hazard.status) == (
        "H1",
        "Hazard H1",
        "Trust CSO",
        "Review in May",
        "open",
    )
    assert [(c.number, c.description) for c in hazard.causes] == [(1, "Wrong patient selected"), (2, "Stale cache")]
    assert (hazard.initial.severity, hazard.initial.likelihood, hazard.initial.rating) == ("Major", "Low", 3)
    assert (hazard.residual.severity, hazard.residual.likelihood, hazard.residual.rating) == ("Major", "Very low", 2)
    assert item.row == 2
    assert {"owner", "actions", "status", "causes", "controls.existing", "controls.bpc", "initial"} <= item.carries
    assert "hazard_type" not in item.carries and "controls.details" not in item.carries


def test_controls_are_numbered_by_the_cause_they_answer():
    row = hazard_row(
        "H1",
        causes="1) First\n2) Second\n3) Third",
        existing_controls="1) Banner\n3) Banner\n• Training for all staff",
        design_controls="2) Check digit\n• None",
        test_controls="1) N/A\n2) None",
        bpc_controls="3) Escalate",
    )
    controls = read(workbook([row])).hazards[0].hazard.controls
    summary = [(c.number, c.kind, c.control_type, c.description, c.cause_numbers) for c in controls]
    assert summary == [
        (1, "existing", "", "Banner", (1, 3)),
        (2, "existing", "", "Training for all staff", ()),
        (3, "additional", "design", "Check digit", (2,)),
        (4, "additional", "bpc", "Escalate", (3,)),
    ]


def design_controls(cell: str) -> list[tuple]:
    row = hazard_row("H1", causes="1) One\n2) Two", design_controls=cell)
    controls = read(workbook([row])).hazards[0].hazard.controls
    return [(c.number, c.description, c.cause_numbers) for c in controls if c.control_type == "design"]


def test_controls_are_numbered_so_that_each_cause_lists_them_as_the_cell_does():
    # The writer lists the controls under each cause by number: here B is listed before A under cause 2,
    # so B is numbered first although A appears first in the cell.
    assert design_controls("1) A\n2) B\n2) A") == [(3, "B", (2,)), (4, "A", (1, 2))]
    # Contradictory orders (B before A under cause 1, A before B under cause 2): cell order.
    assert design_controls("1) B\n1) A\n2) A\n2) B") == [(3, "B", (1, 2)), (4, "A", (1, 2))]


def test_a_control_answering_a_cause_the_hazard_lacks_is_kept_without_it():
    parsed = read(workbook([hazard_row("H1", causes="1) Only cause", design_controls="4) Orphan")]))
    [control] = [c for c in parsed.hazards[0].hazard.controls if c.kind == "additional"]
    assert (control.description, control.cause_numbers) == ("Orphan", ())
    assert any(m.startswith("J2: A control numbered 4") for m in messages(parsed))


def test_a_causes_cell_that_starts_with_text_is_one_cause():
    parsed = read(workbook([hazard_row("H1", causes="Examples:\n1. Mapping\n2. Local codes")]))
    assert [c.description for c in parsed.hazards[0].hazard.causes] == ["Examples:\n1. Mapping\n2. Local codes"]
    assert any(m.startswith("E2: Possible Causes starts with text") for m in messages(parsed))


def test_a_repeated_cause_number_is_renumbered_and_reported():
    parsed = read(workbook([hazard_row("H1", causes="1) One\n1) Another\n2) Two")]))
    assert [(c.number, c.description) for c in parsed.hazards[0].hazard.causes] == [
        (1, "One"),
        (2, "Two"),
        (3, "Another"),
    ]
    assert any("imported as cause 3" in m for m in messages(parsed))


def test_a_cause_numbered_zero_is_renumbered():
    parsed = read(workbook([hazard_row("H1", causes="0) Zero", existing_controls=None, design_controls=None)]))
    assert [(c.number, c.description) for c in parsed.hazards[0].hazard.causes] == [(1, "Zero")]
    assert messages(parsed) == ["E2: A cause that repeats or misuses number 0 (“Zero”) was imported as cause 1."]


def test_only_the_first_hazard_log_sheet_is_imported_and_the_others_are_named():
    def second(wb, ws):
        other = wb.create_sheet("Old Hazard Log")
        other.append(HEADERS)
        other.append(hazard_row("OLD1"))

    parsed = read(workbook([hazard_row("H1")], edit=second))
    assert [h.hazard.reference for h in parsed.hazards] == ["H1"]
    assert [m.message for m in parsed.messages] == [
        "Only this sheet was imported; 'Old Hazard Log' also looks like a hazard log."
    ]


def test_categories_are_normalised():
    row = hazard_row(
        "H1",
        initial_severity="major ",
        initial_likelihood="Very  HIGH",
        initial_rating=5,
        residual_severity=" Significant",
        residual_likelihood="very low",
        residual_rating=1,
        status="closed",
    )
    parsed = read(workbook([row]))
    hazard = parsed.hazards[0].hazard
    assert (hazard.initial.severity, hazard.initial.likelihood) == ("Major", "Very high")
    assert (hazard.residual.severity, hazard.residual.likelihood) == ("Significant", "Very low")
    assert hazard.status == "closed"
    assert parsed.messages == []


def test_a_typed_rating_that_differs_from_the_matrix_is_a_warning_naming_the_cell():
    parsed = read(workbook([hazard_row("NRL01", initial_severity="Major", initial_likelihood="Low", initial_rating=2)]))
    assert parsed.hazards[0].hazard.initial.rating == 3
    assert messages(parsed) == [
        "I2: The rating typed in I2 gives 2, but the risk matrix gives 3 for Major × Low; 3 is used."
    ]
    assert parsed.errors == []


# The template's own rating formula (NRL Hazard Log V1.7, column P).
TEMPLATE_RATING = (
    "IF(OR(ISBLANK(N2),ISBLANK(O2)),&quot;&quot;,INDEX('Risk Matrix'!$D$2:$H$6,"
    "MATCH('Hazard Log'!O2,Likelihood,0),MATCH('Hazard Log'!N2,Consequence,0)))"
)


def test_a_rating_formula_uses_the_matrix_and_reports_a_wrong_saved_result():
    content = set_cell_xml(workbook([hazard_row("H1")]), "P2", f'<c r="P2"><f>{TEMPLATE_RATING}</f><v>4</v></c>')
    parsed = read(content)
    assert parsed.hazards[0].hazard.residual.rating == 2
    assert messages(parsed) == [
        "P2: The formula in P2 gives 4, but the risk matrix gives 2 for Major × Very low; 2 is used."
    ]


def test_a_rating_formula_without_a_saved_result_is_a_warning():
    parsed = read(set_cell_xml(workbook([hazard_row("H1")]), "P2", f'<c r="P2"><f>{TEMPLATE_RATING}</f></c>'))
    assert parsed.hazards[0].hazard.residual.rating == 2
    assert messages(parsed) == ["P2: P2 is a formula with no saved result; the matrix rating 2 is used."]


def test_a_rating_without_severity_and_likelihood_is_ignored_with_a_warning():
    parsed = read(workbook([hazard_row("H1", residual_severity=None, residual_likelihood=None, residual_rating=4)]))
    assert parsed.hazards[0].hazard.residual is None
    assert "residual" not in parsed.hazards[0].carries
    assert messages(parsed) == ["P2: The residual risk rating has no severity or likelihood; it was ignored."]


def test_half_an_assessment_is_an_error():
    parsed = read(workbook([hazard_row("H1", initial_likelihood=None)]))
    assert messages(parsed, "error") == [
        "H2: The initial likelihood is empty but the initial assessment is not; fill in both."
    ]


def test_a_formula_beside_its_forged_saved_result_in_a_text_column_is_an_error_naming_the_cell():
    content = set_cell_xml(
        workbook([hazard_row("H1")]),
        "B2",
        '<c r="B2" t="str"><f>CONCAT("Wrong ","patient")</f><v>Anything at all</v></c>',
    )
    parsed = read(content)
    errors = messages(parsed, "error")
    assert errors[0].startswith('B2: Cell B2 (Hazard Name) holds a formula (=CONCAT("Wrong ","patient"))'), errors
    assert "Anything at all" not in parsed.hazards[0].hazard.name


def test_any_other_formula_in_a_rating_column_is_an_error_naming_the_cell():
    content = set_cell_xml(workbook([hazard_row("H1")]), "P2", '<c r="P2"><f>1+1</f><v>2</v></c>')
    assert messages(read(content), "error") == [
        "P2: Cell P2 (Risk (residual)) holds a formula that is not the template's rating formula (=1+1). "
        "Ratings come from the risk matrix: clear the cell or restore the template's formula."
    ]


def test_text_escaped_by_excel_comes_back_decoded():
    content = set_cell_xml(
        workbook([hazard_row("H1")]),
        "C2",
        '<c r="C2" t="inlineStr"><is><t>Pasted_x000B_text _x005F_x0041_</t></is></c>',
    )
    assert read(content).hazards[0].hazard.description == "Pasted\x0btext _x0041_"


def test_the_group_row_tells_initial_from_residual_whatever_the_order():
    headers = HEADERS[:6] + ["Severity", "Likelihood", "Risk", "Severity", "Likelihood", "Risk"]
    groups = [None] * 6 + [layout.RESIDUAL, None, None, layout.INITIAL, None, None]
    row = hazard_row("H1")[:6] + ["Minor", "Low", 1, "Catastrophic", "High", 5]
    parsed = read(workbook([row], headers=headers, group_row=groups))
    hazard = parsed.hazards[0].hazard
    assert (hazard.initial.severity, hazard.initial.rating) == ("Catastrophic", 5)
    assert (hazard.residual.severity, hazard.residual.rating) == ("Minor", 1)
    assert [m.message for m in parsed.messages] == [NO_STATUS_COLUMN]


def test_without_a_group_row_repeated_headers_are_told_apart_by_position():
    with_groups = read(workbook([hazard_row("H1")], group_row=GROUP_ROW)).hazards[0]
    without = read(workbook([hazard_row("H1")])).hazards[0]
    assert with_groups.hazard == without.hazard
    assert with_groups.row == 3 and without.row == 2


def test_headers_are_matched_ignoring_case_and_spacing_with_synonyms():
    headers = [
        "Num",
        "hazard  NAME",
        "Description",
        "Clinical Impact ",
        "Possible causes",
        "Existing Controls",
        "Consequence",
        "Likelihood",
        "Risk",
        "Design",
        "Testing",
        "Training",
        "Business Process Change",
        "Consequence",
        "Likelihood",
        "Risk",
        "Notes",
        "Hazard owner",
        "Hazard status",
    ]
    parsed = read(workbook([hazard_row("H1")], headers=headers, above=[["NRL hazard log, issued 2020"], []]))
    assert parsed.errors == [] and parsed.layout == CANONICAL
    assert parsed.hazards[0].hazard == read(workbook([hazard_row("H1")])).hazards[0].hazard


def test_an_unknown_column_is_reported_and_kept():
    parsed = read(workbook([hazard_row("H1") + ["secret"]], headers=HEADERS + ["Internal notes"]))
    assert messages(parsed) == [
        "T1: Column T ('Internal notes') is not a column of the template: its values are kept with each hazard as "
        "the additional column 'Internal notes' and written back on export."
    ]
    assert parsed.hazards[0].hazard.additional_columns == (("Internal notes", "secret"),)


def test_a_row_without_a_hazard_number_is_reported_and_skipped():
    parsed = read(workbook([hazard_row("H1"), hazard_row(None, name="Lookup list")]))
    assert [h.hazard.reference for h in parsed.hazards] == ["H1"]
    assert messages(parsed) == ["A3: Row 3 has no hazard number, so it was not imported."]


def test_numeric_references_are_read_as_text():
    parsed = read(workbook([hazard_row(2), hazard_row(3.0), hazard_row("61\n")]))
    assert [h.hazard.reference for h in parsed.hazards] == ["2", "3", "61"]


def test_an_invalid_reference_is_an_error():
    parsed = read(workbook([hazard_row("H\u200b1")]))
    assert "invisible character" in messages(parsed, "error")[0]


def test_any_sheet_whose_name_contains_hazard_log_is_read():
    parsed = read(workbook([hazard_row("NRL01")], sheet="DCH NRL Hazard Log"))
    assert parsed.sheet == "DCH NRL Hazard Log" and parsed.hazards[0].hazard.reference == "NRL01"


def test_merged_cells_are_read_as_excel_shows_them_and_reported():
    def merge(wb, ws):
        ws.merge_cells("G2:G3")

    parsed = read(workbook([hazard_row("H1"), hazard_row("H2", initial_severity=None)], edit=merge))
    assert [h.hazard.initial.severity for h in parsed.hazards] == ["Major", "Major"]
    assert messages(parsed) == [
        "G2: Cells G2:G3 are merged; the value of G2 was read for every cell they cover. "
        "Unmerge them to give each row its own value."
    ]


def test_hidden_rows_and_columns_are_reported():
    def hide(wb, ws):
        for row in (3, 4):
            ws.row_dimensions[row].hidden = True
        ws.column_dimensions["Q"].hidden = True

    parsed = read(workbook([hazard_row(f"H{n}", actions="x") for n in range(1, 5)], edit=hide))
    assert len(parsed.hazards) == 4
    assert messages(parsed) == [
        "Q: The column 'Summary of Actions/Notes' is hidden in Excel; it was imported.",
        "3: Rows 3–4 are hidden in Excel and were imported.",
    ]


def test_an_understated_dimension_loses_no_rows():
    content = workbook([hazard_row(f"H{n}") for n in range(1, 6)])
    content = rewrite(content, SHEET_XML, lambda xml: xml.replace('<dimension ref="A1:S6"', '<dimension ref="A1:B2"'))
    assert [h.hazard.reference for h in read(content).hazards] == ["H1", "H2", "H3", "H4", "H5"]


def test_the_hazard_limit_is_checked_while_reading():
    with pytest.raises(UploadRefused, match="more than 2 hazards"):
        read(workbook([hazard_row(f"H{n}") for n in range(1, 4)]), max_hazards=2)
    assert len(read(workbook([hazard_row(f"H{n}") for n in range(1, 3)]), max_hazards=2).hazards) == 2


COVER = [
    [None],
    *([[None]] * 7),
    ["Programme", "Digital Care", "Document Record ID Key"],
    ["Sub-Prog / Project", "ePMA", "DOC-1"],
    ["Prog. Director", "A Director", "Status", "Draft"],
    ["Owner", "Trust", "Version", 1.6],
    ["Author", "A Author", "Version Date", None],
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2020, 7, 7), date(2020, 7, 7)),
        ("2020-07-07", date(2020, 7, 7)),
        ("07.07.2020", date(2020, 7, 7)),
        ("07/07/2020", date(2020, 7, 7)),
        ("July 2020", None),
        (None, None),
    ],
)
def test_dates_come_from_date_cells_iso_text_or_uk_text(value, expected):
    def cover(wb, ws):
        sheet = wb.create_sheet("Cover Page", 0)
        for line in COVER:
            sheet.append(line)
        sheet["D13"] = value

    parsed = read(workbook([hazard_row("H1")], edit=cover))
    assert parsed.cover.get("version_date") == expected
    assert (parsed.cover["programme"], parsed.cover["document_reference"], parsed.cover["version"]) == (
        "Digital Care",
        "DOC-1",
        "1.6",
    )
    warned = [m for m in messages(parsed) if "version date" in m]
    if value == "July 2020":
        assert "version_date" not in parsed.cover
        assert warned == [
            "D13: The version date 'July 2020' is not a date cell, an ISO date (YYYY-MM-DD) or a UK date "
            "(DD/MM/YYYY); it was not imported. Format the cell as a date in Excel."
        ]
    else:
        assert warned == []


PER_CONTROL_HEADERS = [
    "Num",
    "Hazard Name",
    "Hazard Description",
    "Potential Clinical Impact",
    "Existing Controls",
    "Possible Causes",
    "Initial Consequence",
    "Initial Likelihood",
    "Initial Risk",
    "Additional controls",
    "Control type",
    "Control owner",
    "Action",
    "Action status",
    "Residual Consequence",
    "Residual Likelihood",
    "Residual Risk",
]


def per_control_row(ref, cause, control, kind="Design", owner="NHSD", status="Closed", first=False):
    hazard = (
        ["Absent triage ", "No triage.", "Delay in care.", "HCP triages."]
        if first
        else ["Absent triage", None, None, None]
    )
    return [
        ref,
        *hazard,
        cause,
        "Major",
        "Medium",
        3,
        control,
        kind,
        owner,
        "Validate guide",
        status,
        "Major",
        "Very low",
        2,
    ]


def test_it_reads_one_row_per_control():
    rows = [
        per_control_row("H01", "0101 Messaging failure", "010101 Guidance on timeouts", first=True),
        per_control_row(
            "H01", "0101 Messaging failure", "010102 Service desk process", "Process", "Deploying org", "closed"
        ),
        per_control_row(None, "0102 Malicious attack", "010201 Security testing", "Test", status="Deferred to 2.0"),
        per_control_row("H01", "0106 Messaging failure.", "010601 Guidance on timeouts"),
        per_control_row("H02", "0201 Wrong logic", "020101 Curation", "", first=True),
    ]
    parsed = read(workbook(rows, headers=PER_CONTROL_HEADERS))
    assert parsed.layout == PER_CONTROL and parsed.errors == []
    first, second = (item.hazard for item in parsed.hazards)
    assert (first.reference, first.name, first.description) == ("H01", "Absent triage", "No triage.")
    assert [(c.number, c.description) for c in first.causes] == [(1, "Messaging failure"), (2, "Malicious attack")]
    assert [
        (c.kind, c.control_type, c.description, c.owner, c.implementation_status, c.evidence, c.cause_numbers)
        for c in first.controls
    ] == [
        ("existing", "", "HCP triages.", "", "proposed", "", ()),
        ("additional", "design", "Guidance on timeouts", "NHSD", "implemented", "Validate guide", (1,)),
        ("additional", "bpc", "Service desk process", "Deploying org", "implemented", "Validate guide", (1,)),
        ("additional", "test", "Security testing", "NHSD", "proposed", "Validate guide", (2,)),
    ]
    assert second.controls[1].control_type == "design"
    assert {"controls.details", "controls.design", "causes"} <= parsed.hazards[0].carries
    assert "status" not in parsed.hazards[0].carries and "actions" not in parsed.hazards[0].carries
    assert messages(parsed) == [
        f": {NO_STATUS_COLUMN}",
        "A4: Row 4 has no hazard number; it was read as part of H01 above.",
        "N4: The action status 'Deferred to 2.0' is neither open nor closed; the control was imported as Proposed.",
        "F5: Cause id 0106 repeats the text of cause 1; it was read as cause 1.",
        "K6: The control type is empty; the control was imported as Design. Check it.",
    ]


def test_hazard_columns_added_to_the_one_row_per_control_layout_are_read():
    headers = [*PER_CONTROL_HEADERS, "Owner", "Status", "Hazard type"]
    rows = [
        [*per_control_row("H01", "0101 A", "010101 X", first=True), "CSO", "Transferred", "Messaging"],
        [*per_control_row("H01", "0102 B", "010201 Y"), "CSO", "transferred", "Messaging"],
    ]
    parsed = read(workbook(rows, headers=headers))
    hazard = parsed.hazards[0].hazard
    assert (hazard.owner, hazard.status, hazard.hazard_type) == ("CSO", "transferred", "Messaging")
    assert {"owner", "status", "hazard_type"} <= parsed.hazards[0].carries
    assert parsed.messages == []


def test_a_hazard_split_across_the_sheet_is_refused_in_the_one_row_per_control_layout():
    rows = [
        per_control_row("H01", "0101 A", "010101 X", first=True),
        per_control_row("H02", "0201 B", "020101 Y", first=True),
        per_control_row("H01", "0102 C", "010201 Z"),
    ]
    parsed = read(workbook(rows, headers=PER_CONTROL_HEADERS))
    assert messages(parsed, "error") == [
        "A4: Hazard number H01 is used again (first on row 2); each hazard needs its own number."
    ]


def test_an_unknown_control_type_is_an_error():
    rows = [per_control_row("H01", "0101 A", "010101 X", "Procedure", first=True)]
    assert messages(read(workbook(rows, headers=PER_CONTROL_HEADERS)), "error") == [
        "K2: 'Procedure' is not a control type. Use Design, Test, Training or Process (Business Process Change)."
    ]


def test_it_reads_the_consumer_guidance_layout():
    headers = [
        "Hazard number",
        "Hazard type",
        "Hazard name",
        "Hazard description",
        "Potential clinical impact",
        "Possible causes",
        "Suggested actions to reduce hazard",
    ]
    row = [
        7,
        "Structured - Medicines ",
        "Shared allergy",
        "Allergy shared late.",
        "Missed allergy.",
        "1. One\n2. Two",
        "Review guidance",
    ]
    parsed = read(workbook([row], headers=headers))
    assert parsed.layout == CONSUMER and [m.message for m in parsed.messages] == [
        NO_STATUS_COLUMN,
        "The hazard type 'Structured - Medicines ' has stray spaces; it is proposed as 'Structured - Medicines' "
        "(the same for every row with it). Confirm the import to accept.",
    ]
    hazard = parsed.hazards[0].hazard
    assert (hazard.reference, hazard.hazard_type, hazard.actions) == ("7", "Structured - Medicines", "Review guidance")
    assert [c.description for c in hazard.causes] == ["One", "Two"]
    assert (hazard.initial, hazard.residual, hazard.controls) == (None, None, ())
    assert parsed.hazards[0].carries == {
        "reference",
        "name",
        "description",
        "clinical_impact",
        "hazard_type",
        "causes",
        "actions",
    }


# Refusals for what the reader used to read wrongly or silently (issue 10) -------------------------------


def test_a_nul_character_is_an_error_naming_the_cell_and_its_column():
    content = set_cell_xml(
        workbook([hazard_row("H1"), hazard_row("H2")]),
        "C3",
        '<c r="C3" t="inlineStr"><is><t>Before_x0000_after</t></is></c>',
    )
    parsed = read(content)
    assert messages(parsed, "error") == [
        "C3: Cell C3 (Hazard Description) holds a NUL character, which cannot be stored. Delete it in Excel "
        "(it is often pasted in from another program) and upload again."
    ]
    assert "\x00" not in parsed.hazards[1].hazard.description


def test_a_lone_surrogate_is_an_error_naming_the_cell():
    content = set_cell_xml(
        workbook([hazard_row("H1")]), "B2", '<c r="B2" t="inlineStr"><is><t>Name _xD800_</t></is></c>'
    )
    assert messages(read(content), "error")[0].startswith(
        "B2: Cell B2 (Hazard Name) holds the invalid character U+D800, which cannot be stored."
    )


def test_a_nul_character_on_the_cover_page_is_an_error_naming_the_cell():
    def cover(wb, ws):
        page = wb.create_sheet("Cover Page")
        page["A9"], page["B9"] = "Programme", "_x0000_"

    parsed = read(workbook([hazard_row("H1")], edit=cover))
    assert messages(parsed, "error") == [
        "B9: Cell B9 (Programme) holds a NUL character, which cannot be stored. Type the value itself in Excel."
    ]


def test_a_hidden_hazard_log_sheet_is_passed_over_for_the_visible_one_and_named():
    def sheets(wb, ws):
        ws.sheet_state = "hidden"
        visible = wb.create_sheet("Hazard Log (current)")
        visible.append(HEADERS)
        visible.append(hazard_row("H2"))

    parsed = read(workbook([hazard_row("H1")], edit=sheets))
    assert parsed.sheet == "Hazard Log (current)"
    assert [h.hazard.reference for h in parsed.hazards] == ["H2"]
    assert ": Only this sheet was imported; 'Hazard Log' (hidden in Excel) also looks like a hazard log." in [
        f"{m.column}{m.row or ''}: {m.message}" for m in parsed.messages
    ]


def test_a_workbook_whose_only_hazard_log_sheet_is_hidden_is_refused():
    def hide(wb, ws):
        wb.create_sheet("Notes")
        ws.sheet_state = "hidden"

    with pytest.raises(UploadRefused, match="The only hazard log sheet, 'Hazard Log', is hidden in Excel"):
        read(workbook([hazard_row("H1")], edit=hide))


def test_a_repeated_header_is_refused_naming_both_columns():
    headers = ["Hazard Number", "Hazard Name", "Possible Causes", "Hazard Name"]
    with pytest.raises(UploadRefused) as refused:
        read(workbook([["H1", "First", "1) Cause", "Second"]], headers=headers))
    assert refused.value.message.message.startswith(
        "The header 'Hazard Name' in column D repeats column B ('Hazard Name', read as Hazard Name)"
    )
    assert refused.value.message.column == "D"


def test_a_canonical_sheet_without_its_risk_columns_is_refused_not_read_as_the_consumer_layout():
    headers = ["Hazard Number", "Hazard Name", "Possible Causes", "Design", "Test", "Training", "BPC"]
    row = ["H1", "Wrong patient", "1) Wrong click", "1) Confirm", "1) Test it", "1) Train", "1) Check"]
    with pytest.raises(UploadRefused) as refused:
        read(workbook([row], headers=headers))
    message = refused.value.message.message
    assert message.startswith(
        "The sheet 'Hazard Log' looks like a canonical hazard log but has no 'Severity (initial)'"
    )
    assert "'Likelihood (residual)'" in message


def test_possible_causes_saying_there_is_none_is_named_not_dropped_silently():
    parsed = read(workbook([hazard_row("H1", causes="None"), hazard_row("H2", causes="1) Wrong record\n2) N/A")]))
    first, second = (hazard.hazard for hazard in parsed.hazards)
    assert first.causes == () and [c.description for c in second.causes] == ["Wrong record"]
    warnings = [(m.row, m.column, m.message) for m in parsed.messages if "no cause" in m.message]
    column = warnings[0][1]
    assert warnings == [
        (2, column, "Possible Causes says there is no cause ('None'): the hazard has no causes."),
        (3, column, "Possible Causes' entry '2) N/A' says there is no cause; it was not imported."),
    ]
    assert [(item["cell"], item["reason"]) for item in parsed.tally.not_imported] == [
        (f"{column}2", "says there is no cause ('None')")
    ]
