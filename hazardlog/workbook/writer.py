"""A log snapshot → the NHS hazard log workbook (domain.md §3), laid out as `layout` says.

Written fresh in openpyxl's write-only mode (rows are streamed, so memory stays flat), never by editing
a template file. Ratings are the computed numbers, never formulas; every text is a text cell, encoded by
`celltext` so it comes back exactly. Where each thing goes comes from `layout`; the Risk Matrix sits in
the template's own cells, so the named ranges Likelihood and Consequence resolve as in NHS copies.
"""

from copy import copy
from datetime import date, datetime
from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation

from hazardlog.models.hazard import ControlKind, HazardStatus
from hazardlog.snapshot import HazardRow, LogSnapshot, MatrixData
from hazardlog.text import CELL_MAX_CHARS

from . import layout
from .celltext import looks_like_formula, to_cell
from .numbering import format_items

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


class CellTooLong(ValueError):
    """Text longer than a spreadsheet cell holds: refused, never cut short."""


def write_nhs_workbook(snapshot: LogSnapshot) -> bytes:
    """The workbook's bytes. Raises CellTooLong, before writing anything, for text a cell cannot hold."""
    rows = [hazard_values(hazard) for hazard in snapshot.hazards]
    _check_lengths(snapshot, rows)
    wb = _Workbook(snapshot.matrix.ratings)
    _cover_page(wb.create_sheet(layout.COVER_SHEET), snapshot)
    _version_history(wb.create_sheet(layout.VERSION_SHEET), snapshot)
    extra = _additional_columns(snapshot.hazards)
    extra_rows = [[dict(hazard.additional_columns).get(header) for header in extra] for hazard in snapshot.hazards]
    if any(cause.source_id for hazard in snapshot.hazards for cause in hazard.causes):
        extra.insert(0, layout.CAUSE_IDS_HEADER)
        for hazard, values in zip(snapshot.hazards, extra_rows, strict=True):
            values.insert(0, format_items([(c.number, c.source_id) for c in hazard.causes if c.source_id]) or None)
    _hazard_log(wb.create_sheet(layout.HAZARD_SHEET), rows, extra, extra_rows)
    _risk_matrix(wb.create_sheet(layout.MATRIX_SHEET), snapshot.matrix)
    written = {layout.COVER_SHEET, layout.VERSION_SHEET, layout.HAZARD_SHEET, layout.MATRIX_SHEET}
    for sheet in snapshot.kept_sheets:
        if sheet["title"] not in written:  # an imported workbook's other sheet, kept: written back as it was
            ws = wb.create_sheet(sheet["title"])
            _append_grid(ws, {(r, c): _cell(ws, text, "plain") for r, c, text in sheet["cells"]})
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


def _check_lengths(snapshot: LogSnapshot, rows: list[list]) -> None:
    for hazard, row in zip(snapshot.hazards, rows, strict=True):
        for column, value in zip(layout.HAZARD_COLUMNS, row, strict=True):
            _refuse_too_long(value, f"Hazard {hazard.reference}, {column.header}")
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
    for column, value in zip(layout.HAZARD_COLUMNS, hazard_values(hazard), strict=True):
        _refuse_too_long(value, column.header)


def hazard_values(hazard: HazardRow) -> list:
    """The hazard's 19 cell values, A to S, as plain Python values (None for an empty cell)."""
    controls = {key: [] for key in ("existing_controls", *layout.ADDITIONAL_CONTROL_COLUMNS)}
    column_of_type = {kind: key for key, kind in layout.ADDITIONAL_CONTROL_COLUMNS.items()}
    for control in hazard.controls:
        key = "existing_controls" if control.kind == ControlKind.EXISTING else column_of_type[control.control_type]
        controls[key].append(control)
    values = {
        "reference": hazard.reference,
        "name": hazard.name,
        "description": hazard.description,
        "clinical_impact": hazard.clinical_impact,
        "causes": format_items([(cause.number, cause.description) for cause in hazard.causes], alone=1),
        **{key: _numbered_by_cause(items) for key, items in controls.items()},
        "actions": hazard.actions,
        "owner": hazard.owner,
        "status": HazardStatus(hazard.status).label,
    }
    for stage, assessment in (("initial", hazard.initial), ("residual", hazard.residual)):
        if assessment is not None:
            values[f"{stage}_severity"] = assessment.severity
            values[f"{stage}_likelihood"] = assessment.likelihood
            values[f"{stage}_rating"] = assessment.rating
    return [values.get(column.key) or None for column in layout.HAZARD_COLUMNS]


def _numbered_by_cause(controls) -> str:
    """Controls listed under the number of each cause they answer; those answering none as bullets."""
    items = sorted(
        ((number, control.number, control.description) for control in controls for number in control.cause_numbers),
    )
    items += [(None, control.number, control.description) for control in controls if not control.cause_numbers]
    return format_items([(number, text) for number, _, text in items])


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
    else:
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
    return sum(-(-len(line) // per_line) or 1 for line in text.split("\n"))


def _height(cells) -> float | None:
    """The height in points of a row of (value, column width) that shows every line of its text, or None
    for one line."""
    lines = max((_lines(value, width) for value, width in cells if isinstance(value, str)), default=1)
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
EXTRA_WIDTH = 20  # an additional column kept from an imported workbook


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


def _additional_columns(hazards) -> list[str]:
    """The headers of the hazards' additional columns (kept from an imported workbook), in first-seen order."""
    return list(dict.fromkeys(header for hazard in hazards for header, _ in hazard.additional_columns))


def _hazard_log(ws, rows: list[list], extra: list[str], extra_rows: list[list]) -> None:
    """The template's columns A–S, then the additional columns an import kept, under their own headers."""
    columns = layout.HAZARD_COLUMNS
    extra_letters = [get_column_letter(len(columns) + n) for n in range(1, len(extra) + 1)]
    _widths(ws, {column.letter: column.width for column in columns} | dict.fromkeys(extra_letters, EXTRA_WIDTH))
    ws.freeze_panes = f"A{layout.FIRST_DATA_ROW}"
    ws.print_title_rows = f"{layout.GROUP_ROW}:{layout.HEADER_ROW}"
    _print_on_a4(ws, landscape=True, one_page=False)

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

    widths = [column.width for column in columns] + [EXTRA_WIDTH] * len(extra)
    headers = [column.header for column in columns] + extra
    if height := _height(zip(headers, widths, strict=True)):
        ws.row_dimensions[layout.HEADER_ROW].height = height
    ws.append([_cell(ws, header, "header") for header in headers])

    rating_columns = {i for i, column in enumerate(columns) if column.key.endswith("_rating")}
    for number, (row, more) in enumerate(zip(rows, extra_rows, strict=True), layout.FIRST_DATA_ROW):
        row = row + more
        if height := _height(zip(row, widths, strict=True)):
            ws.row_dimensions[number].height = height
        # Empty cells are written too, so that every cell of the table has its border on paper.
        ws.append(
            [
                _cell(ws, value, f"rating {value}" if i in rating_columns and value else "text")
                for i, value in enumerate(row)
            ]
        )

    last = layout.HEADER_ROW + len(rows)
    ws.auto_filter.ref = f"A{layout.HEADER_ROW}:{(extra_letters or [columns[-1].letter])[-1]}{last}"
    _validations(ws, last + SPARE_ROWS)


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
