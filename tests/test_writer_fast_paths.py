"""The workbook writer's shortcuts for the common case (bench/workbook.py measures why they exist) write
exactly what its general path writes: generated hazards, each shortcut against the general path."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hazardlog.snapshot import ControlRow, HazardRow
from hazardlog.text import CELL_MAX_CHARS
from hazardlog.workbook import writer
from hazardlog.workbook.writer import CellTooLong, HazardCells

# Texts with the characters that matter to a list cell: digits, ")", bullets, spaces and line breaks.
texts = st.text(alphabet="ab 1)2.\n•-", min_size=1, max_size=12)


@st.composite
def controls(draw):
    numbers = draw(st.lists(st.integers(1, 30), min_size=0, max_size=6, unique=True))
    return [
        ControlRow(
            number,
            draw(texts),
            "additional",
            "design",
            cause_numbers=tuple(sorted(draw(st.sets(st.integers(1, 4), max_size=3)))),
        )
        for number in numbers
    ]


@given(controls())
def test_a_control_column_is_written_the_same_by_the_shortcut_and_the_general_path(column):
    shortcut = writer._controls_cell(HazardCells([], layout=None), "design_controls", column, "")
    general = writer._controls_cell(HazardCells([], layout={}), "design_controls", column, "")
    assert shortcut == general


@given(st.lists(texts, min_size=0, max_size=5), st.lists(texts, min_size=1, max_size=5))
def test_a_list_cell_is_joined_the_same_with_and_without_its_layout(labels, bodies):
    items = [(n, body) for n, body in enumerate(bodies[: len(labels)], 1)]
    labels = labels[: len(items)]
    shortcut = writer._list(HazardCells([], layout=None), "causes", items, labels, lambda: [[n] for n, _ in items])
    general = writer._list(HazardCells([], layout={}), "causes", items, labels, lambda: [[n] for n, _ in items])
    assert shortcut == general


def _lines_by_definition(text: str, width: float) -> int:
    per_line = max(1, int(width * writer.CHARS_PER_WIDTH) - writer.WRAP_SLACK)
    return sum(max(1, -(-len(line) // per_line)) for line in text.split("\n"))


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(), st.text(alphabet="ab \n", max_size=200)),
            st.sampled_from([4, 9, 20, 40.5]),
        )
    )
)
def test_a_row_is_as_high_as_its_tallest_cell_needs(cells):
    lines = max((_lines_by_definition(v, w) for v, w in cells if isinstance(v, str)), default=1)
    expected = (
        None if lines == 1 else min(writer.MAX_ROW_POINTS, lines * writer.LINE_POINTS + writer.ROW_PADDING_POINTS)
    )
    assert writer._height(cells) == expected


def test_a_cell_too_long_for_a_spreadsheet_is_refused_naming_the_hazard_and_column(db):
    from hazardlog import nhs_matrix, risk
    from hazardlog.models import RiskMatrix
    from hazardlog.snapshot import LogSnapshot, _matrix_data

    matrix = _matrix_data(risk.MatrixTable.load(RiskMatrix.objects.get(name=nhs_matrix.NAME)))
    fits = HazardRow("H1", "Fits", description="x" * CELL_MAX_CHARS)
    too_long = HazardRow("H2", "Too long", clinical_impact="y" * (CELL_MAX_CHARS + 1))
    cover = dict.fromkeys(
        ("name", "standard", "clinical_safety_officer", "programme", "sub_programme", "programme_director", "owner"),
        "",
    )
    cover |= dict.fromkeys(("author", "document_reference", "document_status", "version", "purpose"), "")
    snapshot = LogSnapshot(**cover, version_date=None, matrix=matrix, hazards=(fits, too_long))
    with pytest.raises(CellTooLong, match=r"Hazard H2, Potential Clinical Impact: the cell would hold 32,768"):
        writer.write_nhs_workbook(snapshot)
    writer.write_nhs_workbook(LogSnapshot(**cover, version_date=None, matrix=matrix, hazards=(fits,)))


@given(
    st.one_of(
        st.text(alphabet="nNoeE /aAt.pplicbdfy\t\n-", max_size=30),
        st.sampled_from(["None", "n/a.", " Not  applicable ", "none identified", "None currently..", "- ", "nil ."]),
    )
)
def test_a_text_that_says_none_is_told_apart_as_the_words_compared_whole_would(text):
    from hazardlog.workbook.numbering import NO_ENTRY, is_no_entry

    assert is_no_entry(text) == (" ".join(text.split()).casefold().rstrip(".") in NO_ENTRY)
