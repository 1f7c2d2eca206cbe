"""A log snapshot → the NHS hazard log workbook (domain.md §3), laid out as `layout` says.

Written fresh in openpyxl's write-only mode (rows are streamed, so memory stays flat), never by editing
a template file. Every stored field is written: in the template's column where it has one, else in a
headed column after S (`layout.EXTRA_COLUMNS`, then the additional columns kept from an imported
workbook). Cells hold only what the CSO would write: list cells are numbered by cause as the template
does, with nothing added; the hidden sheet of `structure` says where each item starts, so the import
reads them back exactly. Ratings are the template's formula (a lookup in the Risk Matrix sheet) with the
computed number saved beside it (`cached_values`), coloured by conditional formatting as in the NHS
copies. Every text is a text cell, encoded by `celltext`. The Risk Matrix sits in the template's own
cells, so the named ranges Likelihood and Consequence resolve as in NHS copies.
"""

import itertools
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break

from hazardlog.models.hazard import ControlKind, HazardStatus, ImplementationStatus
from hazardlog.snapshot import HazardRow, LogSnapshot, MatrixData
from hazardlog.text import CELL_MAX_CHARS

from . import layout, structure
from .cached_values import SharedFormula, close_with_formulas
from .celltext import looks_like_formula, to_cell
from .numbering import could_start_item, is_no_entry, no_entries, prefixes

# Rows below the last hazard that still offer the drop-downs, for hazards added in Excel.
SPARE_ROWS = 100
DATE_FORMAT = "DD/MM/YYYY"
FONT = "Arial"
# The NHS copies colour the matrix's likelihood side green and its severity side blue (theme tints).
LIKELIHOOD_FILL = "D7E4BD"
SEVERITY_FILL = "B8CCE4"
TABLE_HEADER_FILL = "C0C0C0"
CSO_TITLE = "Clinical Safety Officer"
# Printing. Neither LibreOffice nor Excel grows a row to fit wrapped text in a file that does not ask, so each
# row's height is worked out here: Arial 10 prose fits about 1.4 characters per unit of column width in
# LibreOffice (less for capitals, less a little for word wrap), on lines 12.75 points apart (Excel's one-line
# height for Arial 10); 409 points is the most Excel allows a row.
CHARS_PER_WIDTH = 1.25
WRAP_SLACK = 2
LINE_POINTS = 12.75
ROW_PADDING_POINTS = 3
MAX_ROW_POINTS = 409
PAPER_A4 = "9"
# The columns after S are printed beside the template's on the same pages while no wider than this share of them.
PRINTED_BESIDE = 0.25


class CellTooLong(ValueError):
    """Text longer than a spreadsheet cell holds: refused, never cut short."""


def write_nhs_workbook(snapshot: LogSnapshot) -> bytes:
    """The workbook's bytes. Raises CellTooLong, before writing anything, for text a cell cannot hold."""
    rows = [hazard_cells(hazard) for hazard in snapshot.hazards]
    _check_lengths(snapshot, rows)
    wb = _Workbook(snapshot.matrix.ratings)
    _cover_page(wb.create_sheet(layout.COVER_SHEET), snapshot)
    _version_history(wb.create_sheet(layout.VERSION_SHEET), snapshot)
    extra = _extra_columns(rows)
    _hazard_log(wb.create_sheet(layout.HAZARD_SHEET), snapshot, rows, extra)
    _risk_matrix(wb.create_sheet(layout.MATRIX_SHEET), snapshot.matrix)
    written = {layout.COVER_SHEET, layout.VERSION_SHEET, layout.HAZARD_SHEET, layout.MATRIX_SHEET}
    for sheet in snapshot.kept_sheets:
        if sheet["title"] not in written:  # an imported workbook's other sheet, kept: written back as it was
            ws = wb.create_sheet(sheet["title"])
            _append_grid(ws, {(r, c): _cell(ws, text, "plain") for r, c, text in sheet["cells"]})
    titles = {sheet["title"] for sheet in snapshot.kept_sheets}
    title = next(t for n in itertools.count(1) if (t := structure.SHEET + (f" {n}" if n > 1 else "")) not in titles)
    _structure_sheet(wb.create_sheet(title), snapshot, rows, extra)
    for name, cells in (layout.LIKELIHOOD_RANGE, layout.CONSEQUENCE_RANGE):
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{layout.MATRIX_SHEET}'!{cells}")
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def write_table(title: str, headers: list[str], rows: list[list], widths: list[float]) -> bytes:
    """One sheet: a header row (frozen, filtered) and rows of plain values, text written as `_cell` does."""
    for number, row in enumerate(rows, 2):
        for header, value in zip(headers, row, strict=True):
            _refuse_too_long(value, f"Row {number}, column {header}")
    wb = _Workbook()
    ws = wb.create_sheet(title)
    _widths(ws, {get_column_letter(i): width for i, width in enumerate(widths, 1)})
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, header, "header") for header in headers])
    written = 0
    for row in rows:
        ws.append([None if value in (None, "") else _cell(ws, value) for value in row])
        written += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{written + 1}"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _refuse_too_long(value, where: str) -> None:
    if isinstance(value, str) and len(value) > CELL_MAX_CHARS:
        raise CellTooLong(
            f"{where}: the cell would hold {len(value):,} characters; a spreadsheet cell holds at most "
            f"{CELL_MAX_CHARS:,}. Shorten the text to export the log."
        )


def _check_lengths(snapshot: LogSnapshot, rows: list["HazardCells"]) -> None:
    for hazard, row in zip(snapshot.hazards, rows, strict=True):
        texts = [value for value in (*row.values, *row.extra.values()) if isinstance(value, str)]
        if texts and max(map(len, texts)) > CELL_MAX_CHARS:  # the cell is named only then: most rows fit
            for column, value in zip(layout.HAZARD_COLUMNS, row.values, strict=True):
                _refuse_too_long(value, f"Hazard {hazard.reference}, {column.header}")
            for (_, header), value in row.extra.items():
                _refuse_too_long(value, f"Hazard {hazard.reference}, {header}")
    for label, key in layout.COVER_FIELDS:
        _refuse_too_long(getattr(snapshot, key), f"Cover page, {label}")
    for issue in snapshot.issues:
        _refuse_too_long(issue.meaning, f"Issue {issue.number}")
    matrix = snapshot.matrix
    for name, text in (*matrix.severities, *matrix.likelihoods, *((str(r[0]), r[2]) for r in matrix.ratings)):
        _refuse_too_long(text, f"Risk matrix, {name}")


def check_hazard_fits(hazard: HazardRow) -> None:
    """Raise CellTooLong if any of the hazard's cells (its numbered lists joined up) would not fit:
    called when a hazard is saved, so text is refused then rather than at export."""
    cells = hazard_cells(hazard)
    for column, value in zip(layout.HAZARD_COLUMNS, cells.values, strict=True):
        _refuse_too_long(value, column.header)
    for (_, header), value in cells.extra.items():
        _refuse_too_long(value, header)


@dataclass
class HazardCells:
    """One hazard's row: the 19 values A to S (None for an empty cell), the values of the columns after S
    (column → text, a column being (key, header) as `_extra_columns` orders them), and the layout of its
    list cells (column key or header → `structure` items) for the hidden sheet."""

    values: list
    extra: dict[tuple[str, str], str] = field(default_factory=dict)
    layout: dict[str, list] | None = field(default_factory=dict)  # None: not needed (reads_back_as_shown)


def hazard_cells(hazard: HazardRow) -> HazardCells:
    controls = _controls_by_column(hazard)
    nones = _no_entries(hazard)
    # Laid out for the hidden sheet only where the import would not read the cells back as they show.
    row = HazardCells([], layout=None if reads_back_as_shown(hazard, controls, nones) else {})
    causes = [(cause.number, cause.description) for cause in hazard.causes]
    values = {
        "reference": hazard.reference,
        "name": hazard.name,
        "description": hazard.description,
        "clinical_impact": hazard.clinical_impact,
        "causes": _list(row, "causes", causes, prefixes(causes, alone=1), lambda: [[n] for n, _ in causes]),
        **{key: _controls_cell(row, key, items, nones.get(key, "")) for key, items in controls.items()},
        "actions": hazard.actions,
        "owner": hazard.owner,
        "status": _STATUS_LABELS[hazard.status],
    }
    for stage, assessment in (("initial", hazard.initial), ("residual", hazard.residual)):
        if assessment is not None:
            values[f"{stage}_severity"] = assessment.severity
            values[f"{stage}_likelihood"] = assessment.likelihood
            values[f"{stage}_rating"] = assessment.rating
    row.values = [values.get(key) or None for key in _COLUMN_KEYS]

    extra = {"hazard_type": hazard.hazard_type, "status_reason": hazard.status_reason, "raised_on": hazard.raised_on}
    for stage, assessment in (("initial", hazard.initial), ("residual", hazard.residual)):
        for name in layout.ASSESSMENT_DETAILS:
            extra[f"{stage}_{name}"] = getattr(assessment, name) if assessment is not None else None
    ids = [(cause.number, cause.source_id) for cause in hazard.causes if cause.source_id]
    extra["cause_ids"] = _list(row, "cause_ids", ids, prefixes(ids), lambda: [[n] for n, _ in ids])
    ordered = sorted(hazard.controls, key=lambda control: control.number)
    tracked = _tracked(hazard)
    for key, name in layout.CONTROL_DETAIL_COLUMNS.items():
        if name == "implementation_status" and not tracked:
            extra[key] = ""
            continue
        shown = [(c.number, _detail(value, name)) for c in ordered if (value := getattr(c, name))]
        labels = [layout.control_label(number) for number, _ in shown]
        extra[key] = _list(row, key, shown, labels, lambda shown=shown: [[number] for number, _ in shown])
    for key, header in layout.EXTRA_COLUMNS:
        if extra[key]:
            row.extra[(key, header)] = extra[key]
    for header, text in hazard.additional_columns:
        if header not in NO_ENTRIES:
            row.extra[("additional", header)] = text
    per_header: dict[str, list] = {}
    for control in ordered:
        for header, text in control.additional_columns:
            per_header.setdefault(header, []).append((control.number, text))
    for header, items in per_header.items():
        labels = [layout.control_label(number) for number, _ in items]
        row.extra[("control", header)] = _list(
            row, "control:" + header, items, labels, lambda items=items: [[n] for n, _ in items]
        )
    return row


def _controls_by_column(hazard: HazardRow) -> dict[str, list]:
    """The hazard's controls by the column that lists them: existing controls, then one per control type."""
    controls = {key: [] for key in ("existing_controls", *layout.ADDITIONAL_CONTROL_COLUMNS)}
    for control in hazard.controls:
        key = "existing_controls" if control.kind == ControlKind.EXISTING else _COLUMN_OF_TYPE[control.control_type]
        controls[key].append(control)
    return controls


_COLUMN_OF_TYPE = {kind: key for key, kind in layout.ADDITIONAL_CONTROL_COLUMNS.items()}
_COLUMN_KEYS = [column.key for column in layout.HAZARD_COLUMNS]
_STATUS_LABELS = {status.value: status.label for status in HazardStatus}
NO_ENTRIES = {header: key for key, header in layout.NO_ENTRIES_HEADERS.items()}


def _no_entries(hazard: HazardRow) -> dict[str, str]:
    """Column key → the CSO's entries of none kept with the hazard for that control column ("2) None")."""
    return {NO_ENTRIES[header]: text for header, text in hazard.additional_columns if header in NO_ENTRIES}


def reads_back_as_shown(hazard: HazardRow, controls: dict[str, list], nones: dict[str, str]) -> bool:
    """Whether the import gets the hazard's causes and controls back exactly from its cells as they show, so
    that the hidden sheet need not lay them out: no text of a list cell with a line that could start an item,
    no control detail with a later line that could start a control's label, none that the import trims or
    takes for "none"; in a column, no two controls with the same text, nor two bare lines (answering no
    cause) before the numbered ones; and controls numbered as the import numbers them, in column order."""
    listed = [cause.description for cause in hazard.causes]
    listed += [cause.source_id for cause in hazard.causes if cause.source_id]
    details = []
    for control in hazard.controls:
        if control.kind == ControlKind.EXISTING and control.control_type:
            return False  # the template has no place for an existing control's type
        listed.append(control.description)
        details += [control.owner, control.evidence, control.evidence_url, control.source_id]
        details += [text for _, text in control.additional_columns]
    for text in listed + details:
        if text and (text != text.strip() or len(text) <= NO_ENTRY_CHARS and is_no_entry(text)):
            return False
    # Searched joined up, as the pattern looks at every line's start (a match across two texts is a false
    # alarm that only costs the hidden sheet a line).
    if could_start_item("\n".join(listed)) or any("\n" in cause.source_id for cause in hazard.causes):
        return False
    if any("\n\\" in text for text in listed):  # the import drops a backslash that starts a later line
        return False
    if any(layout.CONTROL_LABEL_LINE.search(text) for text in details if "\n" in text):
        return False
    order: list[int] = []
    for key, column in controls.items():
        if not column and key not in nones:
            continue
        uncaused = [control.number for control in column if not control.cause_numbers]
        if len(uncaused) + sum(1 for number, _ in no_entries(nones.get(key)) if number is None) > 1:
            return False
        if len({control.description for control in column}) != len(column):
            return False
        listed_under = sorted((number, c.number) for c in column for number in c.cause_numbers)
        order += dict.fromkeys(uncaused + [number for _, number in listed_under])
    return order == list(range(1, len(hazard.controls) + 1))


NO_ENTRY_CHARS = 20  # longer than any of numbering.NO_ENTRY


def _tracked(hazard: HazardRow) -> bool:
    """Whether any control's implementation is recorded (one Proposed by default is not written)."""
    return any(c.implementation_status != ImplementationStatus.PROPOSED for c in hazard.controls)


def _detail(value: str, name: str) -> str:
    return ImplementationStatus(value).label if name == "implementation_status" else value


def _list(row: HazardCells, key: str, items: list[tuple], labels: list[str], what) -> str:
    """A list cell's text from its items' texts (the last element of each item) and prefixes; its layout
    (`what()` says what each item is) is noted in `row` for the hidden sheet where the row has one."""
    if not items:
        return ""
    if row.layout is None:
        return "\n".join([label + item[-1] for label, item in zip(labels, items, strict=True)])
    text, recorded = structure.join([(p, item[-1], w) for p, item, w in zip(labels, items, what(), strict=True)])
    if recorded:
        row.layout[key] = recorded
    return text


def _controls_cell(row: HazardCells, key: str, controls, nones: str) -> str:
    """Controls listed under the number of each cause they answer (by cause, then control number), after
    those answering no cause, as bare text; the CSO's entries of none ("2) None", kept by the import) in
    their places, recorded as control 0."""
    if not nones and row.layout is None:  # the common case, written directly: what the rest gives for it
        bare = [c.description for c in controls if not c.cause_numbers]
        listed = sorted((number, c.number, c.description) for c in controls for number in c.cause_numbers)
        return "\n".join(bare + [f"{number}) {text}" for number, _, text in listed])
    entries = no_entries(nones)
    items = [(None, 0, "", text) for number, text in entries if number is None]
    items += [(None, c.number, c.control_type, c.description) for c in controls if not c.cause_numbers]
    items += sorted(
        [(number, c.number, c.control_type, c.description) for c in controls for number in c.cause_numbers]
        + [(number, 0, "", text) for number, text in entries if number is not None]
    )
    numbered = [(number, text) for number, _, _, text in items]
    return _list(
        row, key, items, prefixes(numbered), lambda: [[control, number, kind] for number, control, kind, _ in items]
    )


def _extra_columns(rows: list[HazardCells]) -> list[tuple[str, str]]:
    """The columns after S, in order: ours (layout.EXTRA_COLUMNS) where any hazard has a value, then the
    hazards' additional columns, then the controls' additional columns, each in first-seen order."""
    seen = dict.fromkeys(column for row in rows for column in row.extra)
    ours = [column for column in layout.EXTRA_COLUMNS if column in seen]
    return (
        ours
        + [column for column in seen if column[0] == "additional"]
        + [column for column in seen if column[0] == "control"]
    )


# Styles --------------------------------------------------------------------------------------------

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


class _Workbook(Workbook):
    """A write-only workbook with our named styles, each kept ready for cells to copy."""

    def __init__(self, ratings=()):
        super().__init__(write_only=True)
        self.ready_styles = {}
        self._style("header", bold=True, fill=layout.HEADER_FILL, horizontal="center", vertical="center")
        self._style("text")
        self._style("date", number_format=DATE_FORMAT, horizontal="left")
        self._style("label", bold=True, box=False)
        self._style("plain", box=False)
        self._style("plain date", box=False, number_format=DATE_FORMAT, horizontal="left")
        self._style("title", bold=True, box=False, wrap=False)
        self._style("table header", bold=True, fill=TABLE_HEADER_FILL)
        self._style("likelihood", bold=True, fill=LIKELIHOOD_FILL, horizontal="center", vertical="center")
        self._style("severity", bold=True, fill=SEVERITY_FILL, horizontal="center", vertical="center")
        self._style("likelihood level", fill=LIKELIHOOD_FILL, vertical="center")
        self._style("severity level", fill=SEVERITY_FILL, horizontal="center", vertical="center")
        self._style("rating", horizontal="center", vertical="center")
        for number, _, _, colour in ratings:
            fill = colour.lstrip("#").upper()
            self._style(f"rating {number}", fill=fill, horizontal="center", vertical="center")

    def _style(self, name, *, bold=False, fill=None, box=True, horizontal=None, vertical="top", wrap=True, **extra):
        style = NamedStyle(
            name=f"Hazard log {name}",
            font=Font(name=FONT, size=10, bold=bold),
            fill=PatternFill("solid", fgColor="FF" + fill) if fill else PatternFill(),
            border=_BOX if box else Border(),
            alignment=Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap),
            **extra,
        )
        self.add_named_style(style)
        self.ready_styles[name] = style.as_tuple()


def _cell(ws, value, style="text"):
    """One styled cell. Text is stored encoded and always as text (its length is checked beforehand)."""
    cell = WriteOnlyCell(ws)
    # What `cell.style = name` does, without looking the name up again for each of ~100,000 cells.
    cell._style = copy(ws.parent.ready_styles[style])
    if isinstance(value, str):
        # Set directly: openpyxl would take text starting with "=" for a formula, and would cut
        # escaped text at 32,767 characters although Excel counts each escape as one character.
        cell._value = to_cell(value)
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    elif isinstance(value, datetime):
        cell.value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    elif value is not None:  # an empty cell is written with its style alone
        cell.value = value
    return cell


def _widths(ws, widths: dict[str, float]) -> None:
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width


def _merge(ws, *ranges: str) -> None:
    for cells in ranges:
        ws.merged_cells.add(cells)


def _print_on_a4(ws, *, landscape: bool, one_page: bool) -> None:
    """A4, as wide as one page; `one_page` also as high as one page. Numbered pages."""
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.right.text = "Page &P of &N"


def _lines(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column `width` wide (each line break starts a new line)."""
    per_line = max(1, int(width * CHARS_PER_WIDTH) - WRAP_SLACK)
    if "\n" not in text:
        return -(-len(text) // per_line) or 1
    return sum(-(-len(line) // per_line) or 1 for line in text.split("\n"))


def _height(cells) -> float | None:
    """The height in points of a row of (value, column width) that shows every line of its text, or None
    for one line."""
    lines = 1
    for value, width in cells:
        # Most cells are short and of one line: counted only when they might not be.
        if value.__class__ is str and ("\n" in value or len(value) > width * CHARS_PER_WIDTH - WRAP_SLACK - 1):
            lines = max(lines, _lines(value, width))
    return None if lines == 1 else min(MAX_ROW_POINTS, lines * LINE_POINTS + ROW_PADDING_POINTS)


# Cover Page and Version History ----------------------------------------------------------------


def _cover_page(ws, snapshot: LogSnapshot) -> None:
    _widths(ws, {"A": 26, "B": 30, "C": 26, "D": 22, "E": 14, "F": 14})
    _print_on_a4(ws, landscape=False, one_page=True)
    labels = {key: label for label, key in layout.COVER_FIELDS} | layout.COVER_EXTRA_LABELS
    values = {key: getattr(snapshot, key) for key in layout.COVER_CELLS}
    grid: dict[tuple[int, int], WriteOnlyCell] = {}

    def put(coordinate: str, value, style):
        row, column = coordinate_to_tuple(coordinate)
        if value not in (None, ""):
            grid[row, column] = _cell(ws, value, style)

    put(layout.COVER_TITLE_CELL, f"Clinical Safety Hazard Log - {snapshot.name}", "title")
    for key, (label_cell, value_cell) in layout.COVER_CELLS.items():
        put(label_cell, labels[key], "label")
        put(value_cell, values[key], "plain date" if isinstance(values[key], date) else "plain")
    _merge(ws, *layout.COVER_MERGED)
    _add_kept_cells(ws, grid, snapshot)
    _append_grid(ws, grid)


def _append_grid(ws, grid: dict[tuple[int, int], object]) -> None:
    """Write cells placed at (row, column) by streaming rows in order, as write-only mode requires, each
    row as high as its wrapped text needs (a cell merged along its row is as wide as the merged columns)."""
    rows: dict[int, dict[int, object]] = {}
    for (row, column), cell in grid.items():
        rows.setdefault(row, {})[column] = cell
    spans = {(m.min_row, m.min_col): m.max_col for m in ws.merged_cells.ranges if m.min_row == m.max_row}

    def width(row: int, column: int) -> float:
        return sum(
            ws.column_dimensions[get_column_letter(c)].width or 9
            for c in range(column, spans.get((row, column), column) + 1)
        )

    for row in range(1, max(rows, default=0) + 1):
        cells = rows.get(row, {})
        wrapped = [(c.value, width(row, column)) for column, c in cells.items() if c.alignment.wrap_text]
        if wrapped and (height := _height(wrapped)):
            ws.row_dimensions[row].height = height
        ws.append([cells.get(column) for column in range(1, max(cells, default=0) + 1)])


def _is_working_version(snapshot: LogSnapshot) -> bool:
    """Whether the cover's version is a draft after the last issue, to list below the issues. An issue's own
    workbook has the issue's number there; a version at or before the last issue is stale, never listed."""
    from hazardlog.issues import NUMBER_PATTERN, number_key

    if not snapshot.version or snapshot.version in {issue.number for issue in snapshot.issues}:
        return False
    if not snapshot.issues or not NUMBER_PATTERN.fullmatch(snapshot.version):
        return True
    return all(number_key(snapshot.version) > number_key(issue.number) for issue in snapshot.issues)


def _version_history(ws, snapshot: LogSnapshot) -> None:
    _widths(ws, {"A": 14, "B": 24, "C": 40, "D": 14, "E": 12})
    _print_on_a4(ws, landscape=False, one_page=False)
    grid: dict[tuple[int, int], WriteOnlyCell] = {}
    merged = ["A1:E1"]

    def table(row: int, headers: tuple[str, ...], rows: list[tuple]) -> int:
        """A bordered table at `row` whose first column is merged over A:B when it has four columns."""
        wide = len(headers) == 4
        columns = (1, 3, 4, 5) if wide else (1, 2, 3)
        for r, values in enumerate([headers, *rows]):
            for column, value in zip(columns, values, strict=True):
                grid[row + r, column] = _cell(ws, value, "table header" if r == 0 else "text")
            if wide:
                grid[row + r, 2] = _cell(ws, None, "table header" if r == 0 else "text")
            merged.append(f"A{row + r}:B{row + r}" if wide else f"C{row + r}:E{row + r}")
        return row + len(rows) + 1

    grid[1, 1] = _cell(ws, "Amendment History", "title")
    # An imported workbook's own history first, then the log's issues.
    history = {table: [row for row in snapshot.document_history if row["table"] == table] for table in _HISTORY}
    amendments = [(row["version"], _history_date(row), row["description"]) for row in history["amendment"]]
    amendments += [(issue.number, issue.approved_at, issue.meaning) for issue in snapshot.issues]
    if _is_working_version(snapshot):
        amendments.append((snapshot.version, snapshot.version_date, layout.WORKING_VERSION))
    row = table(2, ("Version", "Date", "Amendment History"), amendments)

    cso = snapshot.clinical_safety_officer
    people = (
        (
            "Reviewers",
            "reviewed",
            [*_people(history["reviewer"]), *[(cso, CSO_TITLE, None, None) for cso in [cso] if cso]],
        ),
        (
            "Approved",
            "approved",
            [
                *_people(history["approver"]),
                *((i.approved_by, CSO_TITLE, i.approved_at, i.number) for i in snapshot.issues),
            ],
        ),
    )
    for title, must, rows in people:
        row += 2
        grid[row, 1] = _cell(ws, title, "title")
        grid[row + 1, 1] = _cell(ws, f"This document must be {must} by the following:", "plain")
        merged.append(f"A{row + 1}:E{row + 1}")
        row = table(row + 2, ("Name", "Title / Responsibility", "Date", "Version"), rows)

    row += 1
    grid[row, 1] = _cell(ws, "Document Status:", "title")
    grid[row + 1, 1] = _cell(
        ws,
        f"Exported from Hazard Log on {timezone.localdate():%d/%m/%Y}. The controlled copy of this hazard log is "
        "kept in Hazard Log; check any other copy for currency before relying on it.",
        "plain",
    )
    merged.append(f"A{row + 1}:E{row + 1}")
    _merge(ws, *merged)
    _append_grid(ws, grid)


# Hazard Log -----------------------------------------------------------------------------------------


_HISTORY = ("amendment", "reviewer", "approver")


def _history_date(row: dict):
    """A document history date (ISO text when the import could read it) as a date cell, else its text."""
    try:
        return date.fromisoformat(row["date"]) if row["date"] else None
    except ValueError:
        return row["date"]


def _people(rows: list[dict]) -> list[tuple]:
    return [(row["name"], row["role"], _history_date(row), row["version"] or None) for row in rows]


def _add_kept_cells(ws, grid: dict, snapshot: LogSnapshot) -> None:
    """The cells an import kept from this sheet of its workbook (the Cover Page's purpose text, notes), where
    they were: the reader keeps on this sheet only cells that the export's own layout leaves free."""
    for sheet in snapshot.kept_sheets:
        if sheet["title"] == ws.title:
            for r, c, text in sheet["cells"]:
                grid[r, c] = _cell(ws, text, "plain")


def _headers(extra: list[tuple[str, str]]) -> list[str]:
    """The header written over each column after S: its own, or for a control additional column whose
    header another column has, "… (controls)"."""
    taken = {header for kind, header in extra if kind != "control"}
    return [f"{header} (controls)" if kind == "control" and header in taken else header for kind, header in extra]


RATING_COLUMNS = {i for i, column in enumerate(layout.HAZARD_COLUMNS) if column.key.endswith("_rating")}


def column_styles(extra: list[tuple[str, str]]) -> list[str]:
    """The style of each column's cells on the Hazard Log sheet, A to S then the columns after S."""
    styles = ["rating" if i in RATING_COLUMNS else "text" for i in range(len(layout.HAZARD_COLUMNS))]
    return styles + ["date" if key in layout.DATE_COLUMNS else "text" for key, _ in extra]


def rating_formula(stage: str, row: int) -> str:
    """The template's rating formula (NRL Hazard Log V1.7), without its slip of reading the residual
    likelihood for the initial rating: the matrix's rating for the row's severity and likelihood."""
    letters = {column.key: column.letter for column in layout.HAZARD_COLUMNS}
    severity, likelihood = f"{letters[f'{stage}_severity']}{row}", f"{letters[f'{stage}_likelihood']}{row}"
    return (
        f"=IF(OR(ISBLANK({severity}),ISBLANK({likelihood})),\"\",INDEX('{layout.MATRIX_SHEET}'!"
        f"{layout.MATRIX_VALUES_RANGE},MATCH({likelihood},{layout.LIKELIHOOD_RANGE[0]},0),"
        f"MATCH({severity},{layout.CONSEQUENCE_RANGE[0]},0)))"
    )


def _hazard_log(ws, snapshot: LogSnapshot, rows: list[HazardCells], extra: list[tuple[str, str]]) -> None:
    """The template's columns A–S, then the columns after S (`_extra_columns`), under their own headers."""
    columns = layout.HAZARD_COLUMNS
    extra_letters = [get_column_letter(len(columns) + n) for n in range(1, len(extra) + 1)]
    _widths(ws, {column.letter: column.width for column in columns} | dict.fromkeys(extra_letters, layout.EXTRA_WIDTH))
    ws.freeze_panes = f"A{layout.FIRST_DATA_ROW}"
    ws.print_title_rows = f"{layout.GROUP_ROW}:{layout.HEADER_ROW}"
    _print_on_a4(ws, landscape=True, one_page=False)
    if len(extra) * layout.EXTRA_WIDTH > sum(column.width for column in columns) * PRINTED_BESIDE:
        # On paper the template's columns fill the page's width, and many columns after S follow on pages of
        # their own, each row named by its number and name: all on one page's width, the text was unreadable.
        ws.col_breaks.append(Break(id=len(columns)))
        ws.page_setup.fitToWidth = 2
        ws.print_title_cols = "A:B"

    groups = {column.group: [] for column in columns if column.group}
    for column in columns:
        if column.group:
            groups[column.group].append(column.letter)
    group_at = {letters[0]: group for group, letters in groups.items()}
    ws.append(
        [_cell(ws, group_at.get(column.letter), "header") for column in columns]
        + [_cell(ws, None, "header") for _ in extra]
    )
    _merge(ws, *(f"{letters[0]}{layout.GROUP_ROW}:{letters[-1]}{layout.GROUP_ROW}" for letters in groups.values()))

    widths = [column.width for column in columns] + [layout.EXTRA_WIDTH] * len(extra)
    headers = [column.header for column in columns] + _headers(extra)
    if height := _height(zip(headers, widths, strict=True)):
        ws.row_dimensions[layout.HEADER_ROW].height = height
    ws.append([_cell(ws, header, "header") for header in headers])

    styles = column_styles(extra)
    for number, hazard in enumerate(rows, layout.FIRST_DATA_ROW):
        row = hazard.values + [hazard.extra.get(column) for column in extra]
        if height := _height(zip(row, widths, strict=True)):
            ws.row_dimensions[number].height = height
        # Empty cells are written too, so that every cell of the table has its border on paper.
        ws.append([_cell(ws, value, style) for value, style in zip(row, styles, strict=True)])

    last = layout.HEADER_ROW + len(rows)
    ws.auto_filter.ref = f"A{layout.HEADER_ROW}:{(extra_letters or [columns[-1].letter])[-1]}{last}"
    _validations(ws, last + SPARE_ROWS)
    _rating_colours(ws, snapshot.matrix, last)
    first = layout.FIRST_DATA_ROW
    close_with_formulas(
        ws,
        [
            SharedFormula(columns[i].letter, first, last, rating_formula(columns[i].key.split("_")[0], first)[1:])
            for i in sorted(RATING_COLUMNS)
        ]
        if rows
        else [],
    )


def _rating_colours(ws, matrix: MatrixData, last_row: int) -> None:
    """Each rating cell filled with its rating's colour whatever its value, as the NHS copies do with
    conditional formatting, so that the colour follows the formula when a severity is changed in Excel."""
    cells = " ".join(
        f"{column.letter}{layout.FIRST_DATA_ROW}:{column.letter}{max(last_row, layout.FIRST_DATA_ROW)}"
        for column in layout.HAZARD_COLUMNS
        if column.key.endswith("_rating")
    )
    for number, _, _, colour in matrix.ratings:
        fill = PatternFill(
            "solid", fgColor="FF" + colour.lstrip("#").upper(), bgColor="FF" + colour.lstrip("#").upper()
        )
        ws.conditional_formatting.add(cells, CellIsRule(operator="equal", formula=[str(number)], fill=fill))


def _structure_sheet(ws, snapshot: LogSnapshot, rows: list[HazardCells], extra: list[tuple[str, str]]) -> None:
    """The hidden sheet of `structure`: where each item of each hazard's list cells starts."""
    ws.sheet_state = "veryHidden"
    control_columns = [
        [written, header] for (kind, header), written in zip(extra, _headers(extra), strict=True) if kind == "control"
    ]
    columns = {kind: [header for k, header in extra if k == kind] for kind in ("additional", "control")}
    layouts = []
    for hazard, row in zip(snapshot.hazards, rows, strict=True):
        record = row.layout or {}
        # A hazard's (or control's) additional columns in its own order where the columns' order differs.
        own = [header for header, _ in hazard.additional_columns if header not in NO_ENTRIES]
        if own != [header for header in columns["additional"] if header in own]:
            record["additional_order"] = own
        for control in hazard.controls:
            own = [header for header, _ in control.additional_columns]
            if own != [header for header in columns["control"] if header in own]:
                record.setdefault("control_order", {})[str(control.number)] = own
        if record:
            layouts.append((hazard.reference, record))
    for values in structure.rows(layouts, control_columns):
        ws.append([_cell(ws, value, "plain") for value in values])


def _validations(ws, last_row: int) -> None:
    first = layout.FIRST_DATA_ROW
    letters = {column.key: column.letter for column in layout.HAZARD_COLUMNS}

    def ranges(*keys):
        return " ".join(f"{letters[key]}{first}:{letters[key]}{last_row}" for key in keys)

    for formula, keys, what in (
        (layout.CONSEQUENCE_RANGE[0], ("initial_severity", "residual_severity"), "a severity"),
        (layout.LIKELIHOOD_RANGE[0], ("initial_likelihood", "residual_likelihood"), "a likelihood"),
        ('"' + ",".join(layout.STATUS_CHOICES) + '"', ("status",), "a status"),
    ):
        validation = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Not in the list",
            error=f"Choose {what} from the list.",
        )
        validation.sqref = MultiCellRange(ranges(*keys))
        ws.data_validations.append(validation)


# Risk Matrix ----------------------------------------------------------------------------------------


def _risk_matrix(ws, matrix: MatrixData) -> None:
    """The matrix in the template's places, so the named ranges Likelihood and Consequence resolve."""
    _widths(ws, {"A": 2.5, "B": 5.5, "C": 16, "D": 14, "E": 14, "F": 14, "G": 14, "H": 14, "I": 3.5, "J": 18, "K": 70})
    _print_on_a4(ws, landscape=True, one_page=True)
    grid: dict[tuple[int, int], WriteOnlyCell] = {}
    likelihoods = list(reversed(matrix.likelihoods))  # most likely at the top, as in the template
    severities = list(matrix.severities)
    grid[1, 2] = _cell(ws, f"Risk matrix: {matrix.name} {matrix.version}".strip(), "title")
    grid[2, 2] = _cell(ws, "Likelihood", "likelihood")
    grid[2, 2].alignment = Alignment(horizontal="center", vertical="center", textRotation=90)
    for r, (likelihood, _) in enumerate(likelihoods):
        grid[2 + r, 3] = _cell(ws, likelihood, "likelihood level")
        for c, (severity, _) in enumerate(severities):
            rating = matrix.rating_for(severity, likelihood)
            grid[2 + r, 4 + c] = _cell(ws, rating, f"rating {rating}")
    for c, (severity, _) in enumerate(severities):
        grid[7, 4 + c] = _cell(ws, severity, "severity level")
    grid[8, 4] = _cell(ws, "Severity", "severity")

    grid[10, 3] = _cell(ws, "Likelihood Category", "likelihood")
    grid[10, 4] = _cell(ws, "Interpretation", "likelihood")
    for r, (likelihood, definition) in enumerate(likelihoods):
        grid[11 + r, 3] = _cell(ws, likelihood)
        grid[11 + r, 4] = _cell(ws, definition or None)

    grid[17, 4] = _cell(ws, "Risk Acceptability", "title")
    for r, (number, _, acceptability, _) in enumerate(sorted(matrix.ratings, reverse=True)):
        grid[18 + r, 3] = _cell(ws, number, f"rating {number}")
        grid[18 + r, 4] = _cell(ws, acceptability or None)

    grid[2, 10] = _cell(ws, "Severity Classification", "severity")
    grid[2, 11] = _cell(ws, "Interpretation", "severity")
    for r, (severity, definition) in enumerate(reversed(severities)):
        grid[3 + r, 10] = _cell(ws, severity)
        grid[3 + r, 11] = _cell(ws, definition or None)

    _merge(ws, "B2:B6", "D8:H8", *(f"D{row}:H{row}" for row in (*range(10, 16), *range(18, 23))))
    _append_grid(ws, {position: cell for position, cell in grid.items() if cell.value is not None})
