"""Nothing is lost on import: every non-empty cell is stored in a field, kept as an additional column or
in a kept sheet, or named as not imported with the reason (the tally). Headers are read by meaning,
recoverable mistakes are proposed rather than refused, and the whole workbook is read. Pure: no database."""

import io
from dataclasses import replace
from datetime import date

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from hazardlog.workbook import layout
from hazardlog.workbook.guard import UploadRefused
from hazardlog.workbook.reader import CONSUMER, PER_CONTROL, read_workbook
from tests.import_files import HEADERS, hazard_row, nhs_matrix_data, workbook

MATRIX = nhs_matrix_data()


def read(content: bytes, **kwargs):
    return read_workbook(content, MATRIX, max_hazards=100, **kwargs)


def non_empty_cells(content: bytes) -> int:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return sum(1 for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value not in (None, ""))


def warnings(parsed) -> list[str]:
    return [f"{m.column}{m.row or ''}: {m.message}" for m in parsed.messages if m.level == "warning"]


# Columns the template does not have ------------------------------------------------------------------

words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)
headers = st.lists(words, min_size=1, max_size=3).map(" ".join).filter(lambda text: layout.header_match(text) is None)
values = st.one_of(
    st.none(),
    st.integers(0, 999),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789 .,;:()/'?!", min_size=1, max_size=30).map(str.strip).filter(bool),
)


@st.composite
def extra_columns(draw):
    """[(kind, header, [value per hazard row], position among the template's columns)]."""
    rows = draw(st.integers(1, 3))
    columns = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["headed", "unheaded", "merged", "hidden"]))
        columns.append(
            (kind, draw(headers), draw(st.lists(values, min_size=rows, max_size=rows)), draw(st.integers(0, 19)))
        )
    return rows, columns


def workbook_with(rows: int, columns) -> tuple[bytes, dict[str, list]]:
    """A canonical workbook with the extra columns inserted; → (content, {expected header: values by row})."""
    table = [list(HEADERS)] + [hazard_row(f"H{n}") for n in range(1, rows + 1)]
    kinds = [None] * len(HEADERS)  # per column: None (the template's) or (kind, header)
    for kind, header, column_values, position in columns:
        # Before the template's column `position` (after the last one at 19), so no block splits another.
        template = [index for index, spec in enumerate(kinds) if spec is None] + [len(kinds)]
        width = 2 if kind == "merged" else 1
        for offset in range(width):
            at = template[position] + offset
            kinds.insert(at, (kind, header, offset))
            table[0].insert(at, None if kind == "unheaded" or offset else header)
            for n in range(rows):
                table[n + 1].insert(at, column_values[n])
    wb = Workbook()
    ws = wb.active
    ws.title = "Hazard Log"
    for line in table:
        ws.append(line)
    expected: dict[str, list] = {}
    for index, spec in enumerate(kinds, start=1):
        if spec is None:
            continue
        kind, header, offset = spec
        letter = get_column_letter(index)
        if kind == "merged" and offset == 0:
            ws.merge_cells(f"{letter}1:{get_column_letter(index + 1)}1")
        if kind == "hidden":
            ws.column_dimensions[letter].hidden = True
        name = f"Column {letter}" if kind == "unheaded" else f"{header} ({letter})" if offset else header
        if name in expected:
            name = f"{name} ({letter})"
        expected[name] = [table[n + 1][index - 1] for n in range(rows)]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra_columns())
def test_extra_unheaded_merged_and_hidden_columns_are_kept_and_the_tally_adds_up(generated):
    rows, columns = generated
    content, expected = workbook_with(rows, columns)
    parsed = read(content)
    assert parsed.errors == []
    tally = parsed.tally
    assert tally.read == non_empty_cells(content)
    assert tally.not_imported == [] and tally.not_imported_unlisted == 0
    assert tally.stored + tally.additional + tally.sheets == tally.read
    for n, item in enumerate(parsed.hazards):
        wanted = [(name, str(cells[n])) for name, cells in expected.items() if cells[n] is not None]
        assert sorted(item.hazard.additional_columns) == sorted(wanted)
    kept_headers = {source["header"] for source in parsed.sources if source["field"] == "Additional column"}
    assert {name for name, cells in expected.items() if any(v is not None for v in cells)} <= kept_headers


def test_an_unknown_column_is_kept_and_said_so_not_dropped():
    content = workbook([hazard_row("H1") + ["Review 2026"]], headers=[*HEADERS, "Next review"])
    parsed = read(content)
    assert parsed.hazards[0].hazard.additional_columns == (("Next review", "Review 2026"),)
    assert "additional_columns" in parsed.hazards[0].carries
    assert any("T1: Column T ('Next review') is not a column of the template" in m for m in warnings(parsed))
    assert {"column": "T", "header": "Next review", "field": "Additional column"}.items() <= parsed.sources[-1].items()


def test_a_cell_in_an_unread_row_is_named_with_its_reason():
    content = workbook([hazard_row("H1"), [None, "A note below the table"]])
    parsed = read(content)
    assert parsed.tally.not_imported == [{"sheet": "Hazard Log", "cell": "B3", "reason": "row 3 has no hazard number"}]
    assert parsed.tally.read == non_empty_cells(content)


def test_a_formula_in_a_kept_column_is_named_not_kept():
    content = workbook([hazard_row("H1") + ["=1+1"]], headers=[*HEADERS, "Sum"])
    parsed = read(content)
    assert parsed.hazards[0].hazard.additional_columns == ()
    assert parsed.tally.not_imported == [
        {"sheet": "Hazard Log", "cell": "T2", "reason": "holds a formula with no saved result, which is not imported"}
    ]


# Headers by meaning ------------------------------------------------------------------------------------

CONSUMER_HEADERS = [
    "Hazard number",
    "Hazard type",
    "Hazard name",
    "Hazard description",
    "Potential clinical impact",
    "Possible causes",
]


def test_the_gp_connect_v0_7_mitigation_header_feeds_the_actions():
    content = workbook(
        [[1, "HTML", "Headings differ", "d", "i", "c", "Guidance notes"]],
        headers=[*CONSUMER_HEADERS, "Suggested actions to mitigate hazard"],
    )
    parsed = read(content)
    assert parsed.layout == CONSUMER and parsed.hazards[0].hazard.actions == "Guidance notes"
    assert "actions" in parsed.hazards[0].carries
    assert parsed.sources[-1] == {
        "column": "G",
        "header": "Suggested actions to mitigate hazard",
        "field": "Suggested actions to reduce hazard",
        "how": "recognised by its wording",
    }


def test_a_header_with_a_stray_formula_tail_is_read_by_its_words():
    content = workbook(
        [[1, "HTML", "Headings differ", "d", "i", "c"]],
        headers=["Hazard number", "Hazard type", "Hazard name+C:D+C:D", *CONSUMER_HEADERS[3:]],
    )
    assert read(content).hazards[0].hazard.name == "Headings differ"


def test_a_second_column_under_a_merged_header_is_kept_under_that_header():
    def merge(wb, ws):
        ws.merge_cells("T1:U1")

    content = workbook([hazard_row("H1") + ["first", "second"]], headers=[*HEADERS, "Reviewer notes"], edit=merge)
    parsed = read(content)
    assert parsed.hazards[0].hazard.additional_columns == (
        ("Reviewer notes", "first"),
        ("Reviewer notes (U)", "second"),
    )


# Recoverable mistakes, proposed ------------------------------------------------------------------------

PER_CONTROL_HEADERS = [
    "Num",
    "Hazard Name",
    "Possible Causes",
    "Additional controls",
    "Control type",
]


def test_hazard_numbers_incremented_by_fill_down_are_proposed_as_the_hazard_above():
    rows = [
        ["H01", "Absent triage", "0101 Messaging failure", "010101 Guidance", "Design"],
        ["H02", "Absent triage", "0102 Malicious attack", "010201 Pen test", "Test"],
        ["H03", "Absent triage", "0103 Outage", "010301 Monitoring", "Design"],
        ["H04", "Wrong advice", "0401 Bad content", "040101 Review", "Process"],
    ]
    parsed = read(workbook(rows, headers=PER_CONTROL_HEADERS))
    assert parsed.layout == PER_CONTROL and parsed.errors == []
    assert [p.hazard.reference for p in parsed.hazards] == ["H01", "H04"]
    h01 = parsed.hazards[0].hazard
    assert [(c.number, c.source_id) for c in h01.causes] == [(1, "0101"), (2, "0102"), (3, "0103")]
    assert [c.source_id for c in h01.controls] == ["010101", "010201", "010301"]
    assert (
        "A3: Row 3 has hazard number H02, but its hazard name and cause id 0102 continue hazard H01 above "
        "(Excel's fill-down increments a number it copies): it is proposed as part of H01. If it is a hazard "
        "of its own, give it its own name and cause ids."
    ) in warnings(parsed)


def test_a_different_hazard_under_a_repeated_number_is_still_refused():
    rows = [
        ["H01", "Absent triage", "0101 Messaging failure", "010101 Guidance", "Design"],
        ["H02", "Wrong advice", "0201 Bad content", "020101 Review", "Process"],
        ["H03", "Lost referral", "0301 Queue", "030101 Alerting", "Design"],
        ["H02", "Late referral", "0201 Queue", "020101 Alerting", "Design"],
    ]
    parsed = read(workbook(rows, headers=PER_CONTROL_HEADERS))
    assert [m.message for m in parsed.errors] == [
        "Hazard number H02 is used again (first on row 3); each hazard needs its own number."
    ]


def test_a_blank_status_is_proposed_as_open_and_said_so():
    parsed = read(workbook([hazard_row("H1", status=None)]))
    assert parsed.hazards[0].hazard.status == "open" and "status" not in parsed.hazards[0].carries
    assert (
        "S2: S2 (Status) is empty for hazard H1: it is proposed as Open if the hazard is new (an existing hazard "
        "keeps its status). Confirm the import to accept, or fill in the status."
    ) in warnings(parsed)


def test_the_placeholder_without_hazard_names_is_refused_saying_so():
    content = workbook([[1, "HTML"], [2, "HTML"]], headers=CONSUMER_HEADERS)
    with pytest.raises(UploadRefused, match="has 2 hazard numbers but no hazard names: column C"):
        read(content)


# The whole workbook ------------------------------------------------------------------------------------


def full_workbook(edit_matrix=None) -> bytes:
    def sheets(wb, ws):
        cover = wb.create_sheet("Cover Page", 0)
        cover["C12"], cover["D12"] = "Version", 1
        cover["D12"].number_format = "0.0"
        cover["C13"], cover["D13"] = "Version Date", "07.07.2020"
        cover["A24"] = "This hazard log records generic hazards."
        history = wb.create_sheet("Version History", 1)
        for line in [
            ["Amendment History"],
            ["Version", "Date", "Amendment History"],
            [0.1, "22.02.2018", "First draft"],
            [],
            ["Reviewers"],
            ["This document must be reviewed by the following:"],
            ["Name", None, "Title / Responsibility", "Date", "Version"],
            ["Andy Carr", None, "Clinical Safety Officer"],
        ]:
            history.append(line)
        history["A3"].number_format = "0.0"
        matrix = wb.create_sheet("Risk Matrix")
        likelihoods = [name for name, _ in reversed(MATRIX.likelihoods)]
        for i, likelihood in enumerate(likelihoods):
            matrix.cell(2 + i, 3, likelihood)
            for j, (severity, _) in enumerate(MATRIX.severities):
                matrix.cell(2 + i, 4 + j, MATRIX.rating_for(severity, likelihood))
        for j, (severity, _) in enumerate(MATRIX.severities):
            matrix.cell(7, 4 + j, severity)
        if edit_matrix:
            edit_matrix(matrix)
        wb.create_sheet("Abbreviations")["A1"] = "CSO: Clinical Safety Officer"

    return workbook([hazard_row("H1")], edit=sheets)


def test_the_whole_workbook_is_read_history_cover_matrix_and_other_sheets():
    content = full_workbook()
    parsed = read(content)
    assert parsed.cover["version"] == "1.0" and parsed.cover["version_date"] == date(2020, 7, 7)
    assert parsed.document_history == [
        {
            "table": "amendment",
            "version": "0.1",
            "date": "2018-02-22",
            "name": "",
            "role": "",
            "description": "First draft",
        },
        {
            "table": "reviewer",
            "version": "",
            "date": "",
            "name": "Andy Carr",
            "role": "Clinical Safety Officer",
            "description": "",
        },
    ]
    assert parsed.kept_sheets == [
        {"title": "Cover Page", "cells": [[24, 1, "This hazard log records generic hazards."]]},
        {"title": "Abbreviations", "cells": [[1, 1, "CSO: Clinical Safety Officer"]]},
    ]
    assert [m for m in parsed.messages if m.sheet == "Risk Matrix"] == []
    tally = parsed.tally
    assert tally.read == non_empty_cells(content) and tally.not_imported == []


def test_a_risk_matrix_that_differs_from_the_log_s_is_reported_cell_by_cell():
    def edit(matrix):
        matrix["H2"] = 4  # Very high × Catastrophic is 5 in the NHS matrix

    parsed = read(full_workbook(edit))
    assert warnings(parsed)[-1] == (
        "H2: The workbook's risk matrix has '4' in H2 where this log's matrix has '5'; hazards are assessed with "
        "the log's matrix."
    )
    assert {"sheet": "Risk Matrix", "cell": "H2", "reason": "differs from the log's matrix ('5')"} in (
        parsed.tally.not_imported
    )


# Written back on export ----------------------------------------------------------------------------------


def test_what_an_import_keeps_is_written_back_and_read_again_identically():
    from hazardlog.snapshot import LogSnapshot
    from hazardlog.workbook.writer import write_nhs_workbook

    first = read(full_workbook())
    hazards = tuple(
        replace(item.hazard, additional_columns=(("Next review", "May 2026"), ("Column U", "7")))
        for item in first.hazards
    )
    snapshot = LogSnapshot(
        **dict.fromkeys(("programme", "sub_programme", "programme_director", "owner", "author"), ""),
        **dict.fromkeys(("document_reference", "document_status", "purpose"), ""),
        name="Demo",
        standard="DCB0129",
        clinical_safety_officer="Ann Other",
        version="1.0",
        version_date=None,
        matrix=MATRIX,
        hazards=hazards,
        document_history=first.document_history,
        kept_sheets=first.kept_sheets,
    )
    again = read(write_nhs_workbook(snapshot), log_name="Demo")
    assert [item.hazard for item in again.hazards] == list(hazards)
    assert again.kept_sheets == first.kept_sheets
    # The export adds the working version and the log's CSO, which the import leaves out (the log has them).
    own = [row for row in again.document_history if row["description"] == layout.WORKING_VERSION]
    own += [row for row in again.document_history if row["name"] == "Ann Other"]
    assert [row for row in again.document_history if row not in own] == first.document_history


def test_a_hazard_type_with_a_stray_space_is_proposed_tidied_and_said_once():
    rows = [[n, "HTML ", f"Hazard {n}", "d", "i", "c"] for n in (1, 2)]
    parsed = read(workbook(rows, headers=CONSUMER_HEADERS))
    assert [p.hazard.hazard_type for p in parsed.hazards] == ["HTML", "HTML"]
    assert [m for m in warnings(parsed) if "stray spaces" in m] == [
        "B2: The hazard type 'HTML ' has stray spaces; it is proposed as 'HTML' (the same for every row with it). "
        "Confirm the import to accept."
    ]
