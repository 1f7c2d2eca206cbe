"""Reading an NHS hazard log workbook: bytes → `ParsedLog` (plain `HazardRow` data and messages). Pure.

The hazard sheet is any sheet whose name contains "Hazard Log", in one of three layouts (domain.md §3):
canonical (columns A–S, with or without the group row above the headers), one row per control, and
the consumer guidance log. Headers are matched through `layout.header_key`; Severity, Likelihood and
Risk, which appear twice, are told apart by the group row or, without one, by position.

Ratings are always recomputed from the log's matrix; a typed or formula rating that disagrees is a
warning. A formula's saved result is never trusted (a hand-edited file can forge it): in a rating column
only the template's own rating formula (a lookup in the risk matrix) is accepted, and any other formula
in a column the import reads is an error naming the cell, as is a character the database cannot store.

The cells come from `grid` (openpyxl's streaming parser, formulas, merged cells and hidden rows).
"""

import heapq
import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from openpyxl.utils import column_index_from_string, coordinate_to_tuple, get_column_letter, range_boundaries

from hazardlog.snapshot import AssessmentRow, CauseRow, ControlRow, HazardRow, MatrixData
from hazardlog.text import CELL_MAX_CHARS, normalise_label, normalise_reference, reference_key
from hazardlog.workbook import layout, structure
from hazardlog.workbook.celltext import from_cell
from hazardlog.workbook.grid import Grid, SheetCells, cover_offset, read_cells
from hazardlog.workbook.guard import Message, Messages, UploadRefused
from hazardlog.workbook.numbering import format_items, is_no_entry, no_entries, parse_items

CANONICAL = "canonical"
PER_CONTROL = "one row per control"
CONSUMER = "consumer guidance"

NAME_MAX_CHARS = 500
SHORT_TEXT_MAX_CHARS = 200  # owner, hazard type, control owner
NO_STATUS_COLUMN = "The sheet has no Status column: new hazards are proposed as Open (existing ones keep theirs)."
SOURCE_ID_MAX_CHARS = 200  # a control's ids in the workbook, e.g. "010101, 010201"
MAX_NUMBER = 32_767  # causes and controls are numbered in a small integer
STAGES = ("initial", "residual")

REQUIRED = {
    CANONICAL: ("reference", "name", "causes", "initial_severity", "initial_likelihood", "residual_severity",
                "residual_likelihood"),
    PER_CONTROL: ("reference", "name", "causes", "additional_controls", "control_type"),
    CONSUMER: ("reference", "name", "causes"),
}  # fmt: skip
LABELS = (
    {column.key: column.header for column in layout.HAZARD_COLUMNS}
    | {
        f"{stage}_{what}": f"{header} ({stage})"
        for stage in ("initial", "residual")
        for what, header in (("severity", "Severity"), ("likelihood", "Likelihood"), ("rating", "Risk"))
    }
    | {
        "hazard_type": "Hazard type",
        "suggested_actions": "Suggested actions to reduce hazard",
        "additional_controls": "Additional controls",
        "control_type": "Control type",
        "control_owner": "Control owner",
        "action": "Action",
        "action_status": "Action status",
        "cause_ids": layout.CAUSE_IDS_HEADER,
    }
    | dict(layout.EXTRA_COLUMNS)
)

# (column key, control kind, control type) of the canonical control columns, in the template's order.
CANONICAL_CONTROL_COLUMNS = [("existing_controls", "existing", "")] + [
    (key, "additional", control_type) for key, control_type in layout.ADDITIONAL_CONTROL_COLUMNS.items()
]
CONTROL_TYPES = {
    "design": "design",
    "test": "test",
    "testing": "test",
    "training": "training",
    "bpc": "bpc",
    "process": "bpc",
    "business process": "bpc",
    "business process change": "bpc",
}
CONTROL_TYPE_NAMES = "Design, Test, Training or Process (Business Process Change)"
# An action status of the one-row-per-control layout → the control's implementation status.
ACTION_STATUSES = {
    "": "proposed",
    "open": "proposed",
    "proposed": "proposed",
    "in progress": "proposed",
    "closed": "implemented",
    "complete": "implemented",
    "completed": "implemented",
    "done": "implemented",
    "implemented": "implemented",
    "verified": "verified",
}
STATUSES = {normalise_label(name): name.lower() for name in layout.STATUS_CHOICES}
NO_ENTRIES = set(layout.NO_ENTRIES_HEADERS.values())
EVIDENCE_LINK = URLValidator(schemes=["http", "https"])
DERIVED = (
    "written by the export from the log's evaluations of its manufacturers' hazards, not data of its own: "
    "the log keeps them as evaluations"
)
LAYOUT_ORDERS = {"additional_order", "control_order"}  # in a hazard's layout: orders, not list cells
# A control's implementation status as the export writes it (its label) → the stored value.
STATUS_VALUES = {"Proposed": "proposed", "Implemented": "implemented", "Verified": "verified"}
IMPLEMENTATION_STATUSES = {normalise_label(label): value for label, value in STATUS_VALUES.items()}
_ID_PREFIX = re.compile(r"^\s*(\d{3,})(?!\d)[\s.):-]*", re.S)  # "0101 Messaging failure", "010101 …"
# The template's rating formula, e.g. (NRL Hazard Log V1.7, column P)
#   IF(OR(ISBLANK(G2),ISBLANK(O2)),"",INDEX('Risk Matrix'!$D$2:$H$6,MATCH(O2,Likelihood,0),MATCH(G2,Consequence,0)))
# with or without its blank check (ISBLANK or ="") or an IFERROR around it; compared without spaces or case.
_REF = r"(?:(?:'(?:[^']|'')+'|[\w.]+)!)?\$?[a-z]{1,3}\$?\d+"
_RANGE = rf"(?:{_REF}:\$?[a-z]{{1,3}}\$?\d+|[a-z_][\w.]*)"
_LOOKUP = rf"index\({_RANGE},match\({_REF},{_RANGE},0\),match\({_REF},{_RANGE},0\)\)"
_BLANK = rf"(?:isblank\({_REF}\)|{_REF}=\"\")"
RATING_FORMULA = re.compile(rf"=?(?:{_LOOKUP}|if\(or\({_BLANK},{_BLANK}\),\"\",{_LOOKUP}\)|iferror\({_LOOKUP},\"\"\))")


@dataclass
class ParsedHazard:
    hazard: HazardRow
    row: int  # the sheet row the hazard starts on
    # What the file says about this hazard: HazardRow field names, and "controls.<kind or type>" for
    # each control column present ("controls.existing", "controls.design", …), "controls.details" when
    # controls carry owner, implementation status and evidence; "initial" and "residual" for each assessment,
    # with "initial.rationale", "initial.assessed_by", … for each of its details the sheet has a column for.
    # Fields not carried are left unchanged.
    carries: frozenset[str]
    columns: dict[str, str] = field(default_factory=dict)  # field → column letter, for messages


FIELD, ADDITIONAL, SHEET = "stored in fields", "kept as additional columns", "kept in sheets"
TALLY_LISTED = 500  # cells not imported named in the tally; the others are counted


@dataclass
class Tally:
    """Where every non-empty cell of the sheets read went: each is counted in exactly one bucket, and each
    cell not imported is named with the reason (up to TALLY_LISTED of them)."""

    stored: int = 0  # in a field of the log, a hazard, cause, control or assessment
    additional: int = 0  # in a hazard's (or control's) additional columns
    sheets: int = 0  # in a kept sheet (the log's document history counts as fields)
    not_imported: list[dict] = field(default_factory=list)  # {"sheet", "cell", "reason"}
    not_imported_unlisted: int = 0
    # In the hidden sheet our own export writes (structure.SHEET): where list items start, no data of the CSO's.
    export_structure: int = 0

    def count(self, fate: str) -> None:
        if fate == FIELD:
            self.stored += 1
        elif fate == ADDITIONAL:
            self.additional += 1
        else:
            self.sheets += 1

    def drop(self, sheet: str, row: int, column: int, reason: str) -> None:
        if len(self.not_imported) < TALLY_LISTED:
            self.not_imported.append({"sheet": sheet, "cell": f"{get_column_letter(column)}{row}", "reason": reason})
        else:
            self.not_imported_unlisted += 1

    @property
    def read(self) -> int:
        dropped = len(self.not_imported) + self.not_imported_unlisted
        return self.stored + self.additional + self.sheets + dropped + self.export_structure

    def as_json(self) -> dict:
        return {
            "read": self.read,
            "stored": self.stored,
            "additional": self.additional,
            "sheets": self.sheets,
            "not_imported": len(self.not_imported) + self.not_imported_unlisted,
            "not_imported_cells": self.not_imported,
            "export_structure": self.export_structure,
        }


@dataclass
class ParsedLog:
    layout: str
    sheet: str
    hazards: list[ParsedHazard]
    messages: Messages  # the first settings.HAZARDLOG_MAX_MESSAGES, the others counted
    # Cover Page fields found (HazardLog field → value; a found label with an empty value is ""/None).
    cover: dict[str, object] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)
    # Which source column fed which field: [{"column", "header", "field", "how"}], in sheet order.
    sources: list[dict] = field(default_factory=list)
    document_history: list[dict] | None = None  # as HazardLog.document_history; None: no Version History sheet
    kept_sheets: list[dict] = field(default_factory=list)  # as HazardLog.kept_sheets
    # Which log the cover says the workbook is: {"standard" | "system": (value, sheet, cell)}, as far as it says.
    declared: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Message]:
        """The errors kept (any error refuses the import; `messages.total("error")` counts them all)."""
        return [m for m in self.messages if m.level == "error"]

    @property
    def warnings(self) -> list[Message]:
        return [m for m in self.messages if m.level == "warning"]


def read_workbook(content: bytes, matrix: MatrixData, *, max_hazards: int, log_name: str = "") -> ParsedLog:
    """Read the hazard sheet of an .xlsx that `guard.check_upload` accepted. Raises UploadRefused
    when there is nothing importable (no hazard sheet, a required column missing, too many hazards,
    unsafe or unreadable XML); every other problem is a message in the result."""
    grid, cover, sheets = read_cells(content, max_hazards)
    # Our export's hidden sheet, known by its first cell (its title is ours unless a sheet of the CSO's has it).
    ours = next((sheet for sheet in sheets if sheet.hidden and structure.read(sheet.cells) is not None), None)
    exported = structure.read(ours.cells) if ours is not None else None
    parsed = _SheetReader(grid, matrix, exported).read()
    parsed.cover = _cover_fields(cover, parsed.messages)
    for sheet in sheets:
        title = normalise_label(sheet.title)
        if exported is not None and sheet is ours:
            parsed.tally.export_structure += len(sheet.cells)
        elif cover is not None and sheet.title == cover[0]:
            _cover_sheet(sheet, cover[1], parsed, log_name)
        elif title == normalise_label(layout.VERSION_SHEET):
            _version_history(sheet, parsed)
        elif "risk matrix" in title:
            _matrix_sheet(sheet, matrix, parsed)
        else:
            _keep_sheet(sheet, set(sheet.cells), parsed)
        for cell in sorted(sheet.formulas - set(sheet.cells)):
            parsed.tally.drop(sheet.title, *cell, "holds a formula with no saved result, which is not imported")
    return parsed


def _fate_of_cell(sheet: SheetCells, cell: tuple[int, int]) -> str:
    """Why a cell of a sheet read whole cannot be kept ("" if it can)."""
    if cell in sheet.formulas:
        return "holds a formula, whose saved result is not imported"
    if cell in sheet.errors:
        return f"shows the error {sheet.cells[cell]}"
    if cell in sheet.unstorable:
        return f"holds {sheet.unstorable[cell]}, which cannot be stored"
    if len(_as_text(sheet.cells[cell])) > CELL_MAX_CHARS:
        return f"has more than the {CELL_MAX_CHARS:,} characters a cell holds"
    return ""


def _keep_sheet(sheet: SheetCells, cells: set[tuple[int, int]], parsed: ParsedLog, title: str = "") -> None:
    """Keep `cells` of the sheet, to be written back where they were, on a sheet of that title (the sheet's own
    unless `title` is given); a formula or an error is named instead."""
    kept = []
    for cell in sorted(cells):
        if why := _fate_of_cell(sheet, cell):
            parsed.tally.drop(sheet.title, *cell, why)
        elif text := _as_text(sheet.cells[cell]):
            kept.append([cell[0], cell[1], text])
            parsed.tally.count(SHEET)
    if kept:
        parsed.kept_sheets.append({"title": title or sheet.title, "cells": kept})


VERSION_TABLES = {"amendment history": "amendment", "reviewers": "reviewer", "approved": "approver"}
VERSION_COLUMNS = {
    "version": "version",
    "date": "date",
    "amendment history": "description",
    "description of change": "description",
    "description": "description",
    "name": "name",
    "reviewer name": "name",
    "title / responsibility": "role",
    "title": "role",
    "responsibility": "role",
    "role": "role",
}
DOCUMENT_STATUS = "document status:"
SECTIONS_AFTER = {"distribution"}  # titles that end the tables; their text is kept


def _version_history(sheet: SheetCells, parsed: ParsedLog) -> None:
    """The Amendment History, Reviewers and Approved tables become the log's document history, one entry per
    row; their titles, headers and instructions are the template's (written back by the export); any
    other cell is kept with the sheet."""
    rows: dict[int, dict[int, object]] = {}
    for (r, c), value in sheet.cells.items():
        rows.setdefault(r, {})[c] = value
    table, columns, history, status_note = None, None, [], None
    structure: set[tuple[int, int]] = set()  # cells of the tables and their titles
    dropped: set[tuple[int, int]] = set()
    for r in sorted(rows):
        cells = {c: v for c, v in rows[r].items() if _as_text(v)}
        labels = {c: normalise_label(_as_text(v)).rstrip(":") for c, v in cells.items()}
        headers = {c: VERSION_COLUMNS[label] for c, label in labels.items() if label in VERSION_COLUMNS}
        if len(cells) == 1 and (name := VERSION_TABLES.get(next(iter(labels.values())))):
            table, columns = name, None
            structure.update((r, c) for c in cells)
        elif len(cells) == 1 and next(iter(labels.values())) in SECTIONS_AFTER:
            table = None
        elif len(cells) == 1 and next(iter(labels.values())) + ":" == DOCUMENT_STATUS:
            table, status_note = None, r + 1
            structure.update((r, c) for c in cells)
        elif table and len(headers) >= 2 and len(headers) == len(cells):
            if columns is None:  # a second header row (a leftover, as in some NHS copies) is kept as it is
                columns = headers
                structure.update((r, c) for c in cells)
        elif table and columns is None and all(label.startswith("this document must be") for label in labels.values()):
            structure.update((r, c) for c in cells)
        elif table and columns and (used := {c for c in cells if c in columns and not _fate_of_cell(sheet, (r, c))}):
            entry = {"table": table} | dict.fromkeys(("version", "date", "name", "role", "description"), "")
            for c in sorted(used):
                value = sheet.cells[(r, c)]
                entry[columns[c]] = _iso(value) if columns[c] == "date" else _as_text(value)
            history.append(entry)
            structure.update((r, c) for c in used)
        elif r == status_note and len(cells) == 1:
            for c in cells:
                parsed.tally.drop(sheet.title, r, c, "the export writes its own document status note")
                dropped.add((r, c))
    parsed.document_history = history
    for _ in structure - dropped:
        parsed.tally.count(FIELD)
    _keep_sheet(sheet, set(sheet.cells) - structure - dropped, parsed, layout.VERSION_SHEET + layout.NOTES_SUFFIX)


def _iso(value) -> str:
    """A date as ISO text (a date cell, or UK text like 07.07.2020); other text as it is."""
    day = _as_date(value)
    return day.isoformat() if day else _as_text(value)


def _matrix_sheet(sheet: SheetCells, matrix: MatrixData, parsed: ParsedLog) -> None:
    """The workbook's Risk Matrix compared cell by cell with the log's (domain.md §3.1: likelihoods in C2:C6,
    most likely first, severities in D7:H7, ratings in D2:H6). The export writes the log's own matrix in
    its place, so no cell of this sheet is kept; each difference is a warning naming the cell."""
    likelihoods = [name for name, _ in reversed(matrix.likelihoods)]
    severities = [name for name, _ in matrix.severities]
    expected: dict[tuple[int, int], str] = {}
    for i, likelihood in enumerate(likelihoods):
        expected[(2 + i, 3)] = likelihood
        for j, severity in enumerate(severities):
            expected[(2 + i, 4 + j)] = str(matrix.rating_for(severity, likelihood))
    for j, severity in enumerate(severities):
        expected[(7, 4 + j)] = severity
    for cell, value in sorted(sheet.cells.items()):
        where = f"{get_column_letter(cell[1])}{cell[0]}"
        if cell not in expected:
            parsed.tally.drop(sheet.title, *cell, "the export writes the log's own risk matrix sheet")
            continue
        same_rating = _as_rating(value) is not None and _as_rating(value) == _as_rating(expected[cell])
        if normalise_label(_as_text(value)) == normalise_label(expected[cell]) or same_rating:
            parsed.tally.count(FIELD)
            continue
        message = (
            f"The workbook's risk matrix has '{_as_text(value)}' in {where} where this log's matrix has "
            f"'{expected[cell]}'; hazards are assessed with the log's matrix."
        )
        parsed.messages.append(Message("warning", message, sheet.title, cell[0], get_column_letter(cell[1])))
        parsed.tally.drop(sheet.title, *cell, f"differs from the log's matrix ('{expected[cell]}')")


def _cover_sheet(sheet: SheetCells, found: dict, parsed: ParsedLog, log_name: str) -> None:
    """The labels and values of the cover fields are the log's fields, and the title names the log; the
    rest of the page (purpose text, copyright, notes) is kept."""
    fates: dict[tuple[int, int], str] = {}  # cell → "" (a field) or why it was not imported
    for key, (cell, *_) in found.items():
        value = coordinate_to_tuple(cell)
        dr, dc = cover_offset(key)
        fates[(value[0] - dr, value[1] - dc)] = ""
        if value in sheet.cells:
            fates[value] = "" if key in parsed.cover else f"the {COVER_LABELS[key]} was not read (see its message)"
    label, value = (coordinate_to_tuple(cell) for cell in layout.COVER_CELLS["standard"])
    if _as_text(sheet.cells.get(label)) == layout.COVER_EXTRA_LABELS["standard"]:
        fates[label] = fates[value] = ""  # the log's standard: part of which log this is, never imported
        if standard := _as_text(sheet.cells.get(value)):
            parsed.declared["standard"] = (standard, sheet.title, layout.COVER_CELLS["standard"][1])
    title = coordinate_to_tuple(layout.COVER_TITLE_CELL)
    if (text := _as_text(sheet.cells.get(title))).startswith(COVER_TITLE_PREFIX.strip()):
        system = text.removeprefix(COVER_TITLE_PREFIX.strip()).strip(" -")
        parsed.declared["system"] = (system, sheet.title, layout.COVER_TITLE_CELL)
    if title in sheet.cells and sheet.cells[title] != f"{COVER_TITLE_PREFIX}{log_name}":
        fates[title] = "the export titles the cover page from the log's name"
    elif title in sheet.cells:
        fates[title] = ""  # the writer's own title for this log
    for cell, why in fates.items():
        if why:
            parsed.tally.drop(sheet.title, *cell, why)
        elif cell in sheet.cells:
            parsed.tally.count(FIELD)
    rest = set(sheet.cells) - set(fates)
    covered = {cell for cell in rest if cell in _COVER_LAYOUT}
    _keep_sheet(sheet, rest - covered, parsed)
    _keep_sheet(sheet, covered, parsed, layout.COVER_SHEET + layout.NOTES_SUFFIX)


# The cells the export's Cover Page uses: its labels, values, title and merged ranges.
_COVER_LAYOUT = {coordinate_to_tuple(cell) for pair in layout.COVER_CELLS.values() for cell in pair} | {
    (row, column)
    for ref in layout.COVER_MERGED
    for min_col, min_row, max_col, max_row in [range_boundaries(ref)]
    for row in range(min_row, max_row + 1)
    for column in range(min_col, max_col + 1)
}


def _cover_fields(cover, messages: list[Message]) -> dict[str, object]:
    """Cover values as the log's fields. A date only from a date cell or ISO text (YYYY-MM-DD)."""
    from hazardlog.models import HazardLog

    if cover is None:
        return {}
    sheet, found = cover
    fields = {}
    for key, (cell, raw, bad, formula) in found.items():
        row, column = coordinate_to_tuple(cell)
        letter = get_column_letter(column)
        label = COVER_LABELS[key]
        if bad or formula:
            what = f"holds {bad}, which cannot be stored" if bad else "holds a formula (its saved result is not used)"
            messages.append(
                Message("error", f"Cell {cell} ({label}) {what}. Type the value itself in Excel.", sheet, row, letter)
            )
            continue
        if key == "version_date":
            value = _as_date(raw)
            if value is None and _as_text(raw):
                messages.append(
                    Message(
                        "warning",
                        f"The version date '{_as_text(raw)}' is not a date cell, an ISO date (YYYY-MM-DD) or a UK "
                        "date (DD/MM/YYYY); "
                        "it was not imported. Format the cell as a date in Excel.",
                        sheet,
                        row,
                        letter,
                    )
                )
                continue
        else:
            value = _as_text(from_cell(raw))
            limit = HazardLog._meta.get_field(key).max_length or CELL_MAX_CHARS
            if len(value) > limit:
                messages.append(
                    Message(
                        "error",
                        f"{cell} has {len(value):,} characters; the most allowed is {limit:,}.",
                        sheet,
                        row,
                        letter,
                    )
                )
                continue
        fields[key] = value
    return fields


COVER_LABELS = {key: label for label, key in layout.COVER_FIELDS} | {
    "clinical_safety_officer": layout.COVER_EXTRA_LABELS["clinical_safety_officer"]
}
COVER_TITLE_PREFIX = "Clinical Safety Hazard Log - "  # as the writer titles the cover page


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, str) and (uk := _UK_DATE.fullmatch(value.strip())):
        try:
            return date(int(uk.group(4)), int(uk.group(3)), int(uk.group(1)))
        except ValueError:
            return None
    return None


_UK_DATE = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4})")  # day, month, year, as UK logs type them


class _SheetReader:
    def __init__(self, grid: Grid, matrix: MatrixData, exported=None):
        self.grid = grid
        # Our own export's hidden sheet, read (structure.read): hazard number → layout of its list cells, and
        # header written → header of each control additional column. None for any other workbook.
        self.exported: tuple[dict[str, dict], dict[str, str]] | None = exported
        self.control_kept: dict[int, str] = {}  # column → header of the control additional column it feeds
        self.derived: set[int] = set()  # columns our export derives from other data (not read)
        self.sheet = grid.sheet
        self.matrix = matrix
        self.messages = Messages(grid.messages)
        self.columns: dict[str, int] = {}
        self.kept: dict[int, str] = {}  # column → header of the additional column it feeds
        self.sources: list[dict] = []
        self.owned: set[int] = set()  # rows that are part of an imported hazard
        self.row_reasons: dict[int, str] = {}  # row → why it is no part of any hazard
        self.dropped: dict[tuple[int, int], str] = {}  # cell of an imported hazard's row → why it was not used
        self.filled: set[tuple[int, int]] = set()  # cells a merged range covers (empty in the file)
        self.tidied: set[str] = set()  # hazard types whose spacing was tidied (said once each)
        self.severities = {normalise_label(name): name for name, _ in matrix.severities}
        self.likelihoods = {normalise_label(name): name for name, _ in matrix.likelihoods}

    # Messages --------------------------------------------------------------------------------------

    def error(self, row, key_or_column, message):
        self._say("error", row, key_or_column, message)

    def warning(self, row, key_or_column, message):
        self._say("warning", row, key_or_column, message)

    def _say(self, level, row, key_or_column, message):
        """`key_or_column`: a column key ("status"), a column number, or "" for the whole row."""
        column = self.columns.get(key_or_column) if isinstance(key_or_column, str) else key_or_column
        self.messages.append(Message(level, message, self.sheet, row, get_column_letter(column) if column else ""))

    # Structure -------------------------------------------------------------------------------------

    def read(self) -> ParsedLog:
        self._map_columns()
        kind = self._layout()
        missing = [LABELS[key] for key in REQUIRED[kind] if key not in self.columns]
        if missing:
            raise UploadRefused(
                f"The sheet '{self.sheet}' looks like a {kind} hazard log but has no "
                + ", ".join(f"'{label}'" for label in missing)
                + f" column in its header row (row {self.grid.header_row}). Add the column or correct its header.",
                self.sheet,
                self.grid.header_row,
            )
        self._fill_merged_cells()
        self._report_hidden()
        self._check_cells()
        reader = {CANONICAL: self._canonical, PER_CONTROL: self._per_control, CONSUMER: self._consumer}[kind]
        hazards = reader()
        name_column = self.columns["name"]
        if hazards and not any(
            _as_text(self.raw(p.row, "name")) or (p.row, name_column) in self.grid.formulas for p in hazards
        ):
            column = get_column_letter(self.columns["name"])
            raise UploadRefused(
                f"The sheet '{self.sheet}' has {len(hazards):,} hazard numbers but no hazard names: column {column} "
                f"('{self.grid.header[self.columns['name']].strip()}') is empty on every row, so this is a "
                "placeholder rather than a hazard log. Fill in the hazard names and upload it again.",
                self.sheet,
                self.grid.header_row,
                column,
            )
        messages = Messages(sorted(self.messages, key=lambda m: (m.row is not None, m.row or 0)))
        messages.omitted = self.messages.omitted
        parsed = ParsedLog(layout=kind, sheet=self.sheet, hazards=hazards, messages=messages, sources=self.sources)
        self._tally(parsed.tally)
        return parsed

    def _tally(self, tally: Tally) -> None:
        """Count every non-empty cell of the hazard sheet in the bucket it went to (see Tally)."""
        keyed = set(self.columns.values())
        group_row = self.grid.header_row - 1
        for r, values in sorted(self.grid.above.items()):
            for c in values:
                if r == group_row and c in self.grid.groups and layout.group_of(values[c]):
                    tally.count(FIELD)  # a group name: it places the columns below it, and is written back
                else:
                    tally.drop(self.sheet, r, c, f"a title above the header row (row {self.grid.header_row})")
        for c in self.grid.header:
            if c in self.derived:
                tally.drop(self.sheet, self.grid.header_row, c, DERIVED)
            elif self.grid.header[c].strip():
                tally.count(FIELD if c in keyed else ADDITIONAL)
        for r, values in self.grid.rows.items():
            for c in values:
                if (r, c) in self.filled:
                    continue
                if c in self.derived:
                    tally.drop(self.sheet, r, c, DERIVED)
                elif (r, c) in self.dropped:
                    tally.drop(self.sheet, r, c, self.dropped[(r, c)])
                elif r in self.owned:
                    tally.count(FIELD if c in keyed else ADDITIONAL)
                else:
                    tally.drop(self.sheet, r, c, self.row_reasons.get(r, f"row {r} is no part of any hazard"))
        rating_columns = {self.columns.get(f"{stage}_rating") for stage in STAGES}
        for r, c in self.grid.formulas:
            if c in self.grid.rows.get(r, {}):
                continue  # counted above, with its saved result
            if r in self.owned and c in rating_columns:
                tally.count(FIELD)  # the template's rating formula: the rating is computed from the matrix
            else:
                tally.drop(self.sheet, r, c, "holds a formula with no saved result, which is not imported")

    def _map_columns(self):
        """Each column feeds a field (its header read by meaning, layout.header_match) or is kept as an
        additional column under its header, "Column J" where it has none; a column under a merged header
        is kept under that header and its letter."""
        row = self.grid.header_row
        known: dict[str, bool] = {}
        for col in sorted(self.grid.header):
            text = self.grid.header[col].strip()
            match = layout.header_match(text)
            if self.exported and text in self.exported[1]:
                self.control_kept[col] = self.exported[1][text]
                why = "is a column of the controls in this log's own export"
                self.sources.append(
                    {"column": get_column_letter(col), "header": text, "field": "Control column", "how": why}
                )
                continue
            if text == layout.UPSTREAM_MARK_HEADER:
                self.derived.add(col)
                self.sources.append(
                    {"column": get_column_letter(col), "header": text, "field": "Not imported", "how": DERIVED}
                )
                continue
            if match is None:
                if text:
                    self._keep(col, text, f"('{text}') is not a column of the template")
                continue
            key, exact = match
            if key in ("severity", "likelihood", "rating"):
                group = self.grid.groups.get(col)
                if group == layout.INITIAL or (group != layout.RESIDUAL and f"initial_{key}" not in self.columns):
                    key = f"initial_{key}"
                else:
                    key = f"residual_{key}"
            if key in self.columns and not (exact and known[key] and key not in layout.REPEATABLE):
                first = get_column_letter(self.columns[key])
                self._keep(col, text, f"('{text}') reads like {LABELS.get(key, key)}, which column {first} feeds")
                continue
            if key in self.columns:
                first = get_column_letter(self.columns[key])
                raise UploadRefused(
                    f"The header '{text}' in column {get_column_letter(col)} repeats column {first} "
                    f"('{self.grid.header[self.columns[key]].strip()}', read as {LABELS.get(key, key)}) in the header "
                    f"row (row {row}); which one holds the hazards' values is unclear. Rename or delete one of them.",
                    self.sheet,
                    row,
                    get_column_letter(col),
                )
            self.columns[key], known[key] = col, exact
            how = "a header of the template" if exact else "recognised by its wording"
            self.sources.append(
                {"column": get_column_letter(col), "header": text, "field": LABELS.get(key, key), "how": how}
            )
        for ref in self.grid.merged:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            if min_row <= row <= max_row and (text := self.grid.header.get(min_col, "").strip()):
                for col in range(min_col + 1, max_col + 1):
                    if col not in self.columns and col not in self.kept:
                        self._keep(col, f"{text} ({get_column_letter(col)})", f"is under the merged header '{text}'")
        used = set().union(*self.grid.rows.values()) if self.grid.rows else set()
        for col in sorted(used - set(self.columns.values()) - set(self.kept) - set(self.control_kept) - self.derived):
            self._keep(col, f"Column {get_column_letter(col)}", "has no header")
        self.kept = dict(sorted(self.kept.items()))
        self.sources.sort(key=lambda source: column_index_from_string(source["column"]))

    def _keep(self, col: int, header: str, why: str) -> None:
        header = header[:SHORT_TEXT_MAX_CHARS]
        if header in self.kept.values():
            header = f"{header} ({get_column_letter(col)})"
        self.kept[col] = header
        hidden = " It is hidden in Excel." if col in self.grid.hidden_columns else ""
        self.warning(
            self.grid.header_row,
            col,
            f"Column {get_column_letter(col)} {why}: its values are kept with each hazard as the additional "
            f"column '{header}' and written back on export.{hidden}",
        )
        self.sources.append(
            {"column": get_column_letter(col), "header": header, "field": "Additional column", "how": why}
        )

    def _layout(self) -> str:
        if "additional_controls" in self.columns:
            return PER_CONTROL
        # Any column only the canonical layout has makes it canonical, so that a sheet missing its risk
        # columns is refused, naming them, rather than read as the consumer layout without its controls.
        canonical_only = [f"{stage}_{what}" for stage in STAGES for what in ("severity", "likelihood", "rating")]
        canonical_only += ["existing_controls", *layout.ADDITIONAL_CONTROL_COLUMNS]
        if any(key in self.columns for key in canonical_only):
            return CANONICAL
        return CONSUMER

    def _fill_merged_cells(self):
        """A merged range shows its first cell's value across every cell; read it that way, and say so."""
        for ref in self.grid.merged:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            if max_row <= self.grid.header_row:
                continue
            top = max(min_row, self.grid.header_row + 1)
            value = self.grid.rows.get(min_row, {}).get(min_col) if min_row > self.grid.header_row else None
            if value is not None:
                for r in range(top, max_row + 1):
                    for c in range(min_col, max_col + 1):
                        if (r, c) != (min_row, min_col):
                            self.filled.add((r, c))
                        self.grid.rows.setdefault(r, {})[c] = value
            self.warning(
                top,
                min_col,
                f"Cells {ref} are merged; the value of {get_column_letter(min_col)}{min_row} was read for every cell "
                "they cover. Unmerge them to give each row its own value.",
            )

    def _report_hidden(self):
        hidden = sorted(r for r in self.grid.hidden_rows if r in self.grid.rows)
        for first, last in _runs(hidden):
            rows = f"Row {first} is" if first == last else f"Rows {first}–{last} are"
            self.warning(first, "", f"{rows} hidden in Excel and {'was' if first == last else 'were'} imported.")
        for key, col in self.columns.items():
            if col in self.grid.hidden_columns:
                self.warning(None, col, f"The column '{LABELS.get(key, key)}' is hidden in Excel; it was imported.")

    def _check_cells(self):
        """Formulas (other than the template's rating formula in a rating column) and characters the database
        cannot store, in the columns read: errors naming the cell."""
        read = {col: key for key, col in self.columns.items()}
        for (row, col), formula in sorted(self.grid.formulas.items()):
            key = read.get(col)
            if key is None or row not in self.grid.rows:
                continue
            where = f"Cell {get_column_letter(col)}{row} ({LABELS.get(key, key)})"
            if key.endswith("_rating"):
                if not RATING_FORMULA.fullmatch("".join(formula.split()).casefold()):
                    self.error(
                        row,
                        col,
                        f"{where} holds a formula that is not the template's rating formula (="
                        + _short(formula)
                        + "). Ratings come from the risk matrix: clear the cell or restore the template's formula.",
                    )
            else:
                self.error(
                    row,
                    col,
                    f"{where} holds a formula (=" + _short(formula) + "); a formula's saved result is not "
                    "imported, since a hand-edited file can make it anything. Replace the formula with its value "
                    "(Copy, then Paste Special › Values).",
                )
        for (row, col), what in sorted(self.grid.unstorable.items()):
            if (key := read.get(col)) is not None:
                self.error(
                    row,
                    col,
                    f"Cell {get_column_letter(col)}{row} ({LABELS.get(key, key)}) holds {what}, which cannot be "
                    "stored. Delete it in Excel (it is often pasted in from another program) and upload again.",
                )

    # Cells -----------------------------------------------------------------------------------------

    def raw(self, row: int, key: str):
        col = self.columns.get(key)
        return None if col is None else self.grid.rows.get(row, {}).get(col)

    def text(self, row: int, key: str, limit: int = CELL_MAX_CHARS) -> str:
        """The cell as text, trimmed. Errors and formulas without a saved result are reported, and read as empty."""
        col = self.columns.get(key)
        if col is None:
            return ""
        value = self.grid.rows.get(row, {}).get(col)
        where = f"{get_column_letter(col)}{row}"
        if (row, col) in self.grid.errors:
            self.error(row, col, f"{where} shows the error {value}; correct the cell in Excel or type its value.")
            return ""
        if (row, col) in self.grid.formulas:
            return ""  # refused by _check_cells: its saved result is never used
        text = _as_text(value)
        if len(text) > limit:
            self.error(
                row,
                col,
                f"{where} ({LABELS.get(key, key)}) has {len(text):,} characters; the most allowed is {limit:,}.",
            )
            return text[:limit]
        return text

    def reference(self, row: int) -> str | None:
        text = self.text(row, "reference")
        if not text:
            return None
        try:
            return normalise_reference(text)
        except ValidationError as invalid:
            self.error(row, "reference", f"Hazard number '{text}': {' '.join(invalid.messages)}")
            return None

    def name(self, row: int, reference: str) -> str:
        name = self.text(row, "name", NAME_MAX_CHARS)
        if not name:
            self.error(row, "name", f"Hazard {reference} has no hazard name; enter one.")
        return name

    def status(self, row: int) -> str | None:
        text = self.text(row, "status")
        if not text:
            return None
        status = STATUSES.get(normalise_label(text))
        if status is None:
            self.error(
                row, "status", f"'{text}' is not a hazard status. Use one of: {', '.join(layout.STATUS_CHOICES)}."
            )
        return status

    def assessment(self, row: int, stage: str) -> AssessmentRow | None:
        severity_text = self.text(row, f"{stage}_severity")
        likelihood_text = self.text(row, f"{stage}_likelihood")
        if not severity_text and not likelihood_text:
            if _as_text(self.raw(row, f"{stage}_rating")):
                self.warning(
                    row, f"{stage}_rating", f"The {stage} risk rating has no severity or likelihood; it was ignored."
                )
            self._details_without_assessment(row, stage)
            return None
        severity = self._level(row, f"{stage}_severity", severity_text, self.severities, "severity")
        likelihood = self._level(row, f"{stage}_likelihood", likelihood_text, self.likelihoods, "likelihood")
        if severity is None or likelihood is None:
            return None
        rating = self.matrix.rating_for(severity, likelihood)
        self._check_rating(row, stage, severity, likelihood, rating)
        return AssessmentRow(
            severity=severity,
            likelihood=likelihood,
            rating=rating,
            rationale=self.text(row, f"{stage}_rationale"),
            assessed_by=self.text(row, f"{stage}_assessed_by", SHORT_TEXT_MAX_CHARS),
            assessed_at=self.day(row, f"{stage}_assessed_at"),
        )

    def _details_without_assessment(self, row: int, stage: str) -> None:
        """A rationale, assessor or date on a row with no assessment at that stage: nothing can hold it, so
        the cell is named, never dropped without a word nor made into an assessment."""
        for name in layout.ASSESSMENT_DETAILS:
            key = f"{stage}_{name}"
            if (col := self.columns.get(key)) is None or not _as_text(self.raw(row, key)):
                continue
            why = f"row {row} has no {stage} assessment (no {stage} severity or likelihood) to hold it"
            self.dropped[(row, col)] = why
            self.warning(
                row,
                col,
                f"{get_column_letter(col)}{row} ({LABELS[key]}) has a value, but {why}; it was not imported. Fill "
                f"in the {stage} severity and likelihood, or clear the cell.",
            )

    def day(self, row: int, key: str) -> date | None:
        """A date column's cell: a date cell, or a date typed as text (YYYY-MM-DD, or UK as 07/07/2020 or
        07.07.2020); anything else is an error naming the cell."""
        text = self.text(row, key)
        if not text:
            return None
        day = _as_date(self.raw(row, key))
        if day is None:
            col = self.columns[key]
            self.dropped[(row, col)] = "is not a date"
            self.error(
                row,
                col,
                f"{get_column_letter(col)}{row} ({LABELS[key]}): '{_short(text)}' is not a date. Type it as "
                "DD/MM/YYYY, or format the cell as a date in Excel.",
            )
        return day

    def raised_on(self, row: int, reference: str) -> date | None:
        """The date the hazard was raised, where the sheet has the column. An empty cell is said: a new hazard
        is dated the day of the import (as without the column), an existing one keeps its date."""
        col = self.columns.get("raised_on")
        if col is None:
            return None
        if not _as_text(self.raw(row, "raised_on")) and (row, col) not in self.grid.formulas:
            self.warning(
                row,
                col,
                f"{get_column_letter(col)}{row} ({LABELS['raised_on']}) is empty for hazard {reference}: a new hazard "
                "is dated the day of the import (an existing hazard keeps its date). Fill in the date it was raised "
                "to keep it.",
            )
            return None
        return self.day(row, "raised_on")

    def _level(self, row, key, text, levels: dict[str, str], what: str) -> str | None:
        if not text:
            stage = key.split("_")[0]
            self.error(row, key, f"The {stage} {what} is empty but the {stage} assessment is not; fill in both.")
            return None
        level = levels.get(normalise_label(text))
        if level is None:
            self.error(
                row,
                key,
                f"'{text}' is not a {what} in this log's risk matrix. Use one of: {', '.join(levels.values())}.",
            )
        return level

    def _check_rating(self, row, stage, severity, likelihood, rating):
        col = self.columns.get(f"{stage}_rating")
        if col is None:
            return
        where = f"{get_column_letter(col)}{row}"
        value = self.grid.rows.get(row, {}).get(col)
        formula = (row, col) in self.grid.formulas
        if formula and not RATING_FORMULA.fullmatch("".join(self.grid.formulas[(row, col)].split()).casefold()):
            return  # an error already (_check_cells)
        cell = f"{severity} × {likelihood}"
        if (row, col) in self.grid.errors:
            self.warning(row, col, f"{where} shows the error {value}; the matrix rating {rating} for {cell} is used.")
        elif (row, col) in self.grid.uncalculated:
            self.warning(row, col, f"{where} is a formula with no saved result; the matrix rating {rating} is used.")
        elif value is None or str(value).strip() == "":
            return  # nothing typed: the rating is computed, so there is nothing to compare
        elif (typed := _as_rating(value)) is None:
            self.warning(
                row, col, f"{where} '{value}' is not a risk rating; the matrix rating {rating} for {cell} is used."
            )
        elif typed != rating:
            said = "the formula in" if formula else "the rating typed in"
            self.warning(
                row,
                col,
                f"{said.capitalize()} {where} gives {typed}, but the risk matrix gives {rating} for {cell}; "
                f"{rating} is used.",
            )

    # Causes and controls ----------------------------------------------------------------------------

    def causes(self, row: int) -> tuple[CauseRow, ...]:
        """Possible Causes: a numbered list is one cause per item; a cell that starts with text is one cause."""
        text = self.text(row, "causes")
        items = [(number, item.strip()) for number, item in parse_items(text) if item.strip()]
        self._causes_of_none(row, text, bool(items))
        if not items:
            return ()
        if items[0][0] is None:
            if len(items) > 1:
                self.warning(
                    row,
                    "causes",
                    "Possible Causes starts with text before its first numbered cause, so the whole cell was "
                    "imported as cause 1. Number each cause, e.g. '1) …', to import them separately.",
                )
            return () if is_no_entry(text) else (CauseRow(1, text),)
        causes: dict[int, str] = {}
        leftovers = []
        for number, item in items:
            if number is None or not 1 <= number <= MAX_NUMBER or number in causes:
                leftovers.append((number, item))
            else:
                causes[number] = item
        given = max(causes, default=0)
        for number, item in leftovers:
            given += 1
            causes[given] = item
            why = "has no number" if number is None else f"repeats or misuses number {number}"
            self.warning(row, "causes", f"A cause that {why} (“{_short(item)}”) was imported as cause {given}.")
        return tuple(CauseRow(n, causes[n]) for n in sorted(causes))

    def _causes_of_none(self, row: int, text: str, has_causes: bool) -> None:
        """Entries of Possible Causes that say there is none ("None", "2) N/A") are no cause: said, not dropped
        without a word (the control columns' entries of none are kept instead, as they stand for a cause)."""
        entries = no_entries(text)
        if not entries:
            return
        col = self.columns["causes"]
        shown = "; ".join(f"'{text}'" if number is None else f"'{number}) {text}'" for number, text in entries)
        if not has_causes:
            self.dropped[(row, col)] = f"says there is no cause ({shown})"
            self.warning(row, col, f"Possible Causes says there is no cause ({shown}): the hazard has no causes.")
        else:
            self.warning(row, col, f"Possible Causes' entry {shown} says there is no cause; it was not imported.")

    def canonical_controls(self, row: int, cause_numbers: set[int]) -> tuple[ControlRow, ...]:
        controls: list[ControlRow] = []
        for key, kind, control_type in CANONICAL_CONTROL_COLUMNS:
            groups: list[tuple[str, list[int]]] = []  # (text, cause numbers): one control each
            listed: dict[int | None, list[int]] = {}  # cause number (None: bullets) → its controls, in cell order
            # A numbered item joins the first control with its text that does not answer its cause yet: the
            # controls with a text that answer a cause are always the first ones, so counting them finds it.
            by_text: dict[str, list[int]] = {}
            answering: dict[tuple[str, int], int] = {}
            for number, item in parse_items(self.text(row, key)):
                item = item.strip()
                if not item:
                    continue
                if number is not None and number not in cause_numbers:
                    self.warning(
                        row,
                        key,
                        f"A control numbered {number} (“{_short(item)}”) answers cause {number}, which this hazard "
                        "does not have; it was imported without a cause.",
                    )
                    number = None
                same = by_text.setdefault(item, [])
                joined = answering.get((item, number), 0) if number is not None else len(same)
                if joined < len(same):
                    index = same[joined]
                else:
                    index = len(groups)
                    groups.append((item, []))
                    same.append(index)
                if number is not None:
                    groups[index][1].append(number)
                    answering[(item, number)] = joined + 1
                listed.setdefault(number, []).append(index)
            controls += [
                ControlRow(
                    len(controls) + n, groups[i][0], kind, control_type, cause_numbers=tuple(sorted(groups[i][1]))
                )
                for n, i in enumerate(_keeping_order(len(groups), listed.values()), start=1)
            ]
        return tuple(controls)

    # Layouts ---------------------------------------------------------------------------------------

    def _data_rows(self):
        keyed = set(self.columns.values())
        for row in sorted(self.grid.rows):
            if any(_as_text(value) for col, value in self.grid.rows[row].items() if col in keyed):
                yield row

    def _start(self, row, seen: dict[str, int]) -> str | None:
        """The hazard number on a row that starts a hazard, or None (reported) if it cannot."""
        reference = self.reference(row)
        if reference is None:
            if not _as_text(self.raw(row, "reference")):
                self.warning(row, "reference", f"Row {row} has no hazard number, so it was not imported.")
                self.row_reasons[row] = f"row {row} has no hazard number"
            else:
                self.row_reasons[row] = f"row {row}'s hazard number is not valid"
            return None
        key = reference_key(reference)
        if key in seen:
            self.row_reasons[row] = f"row {row} repeats the hazard number {reference} of row {seen[key]}"
            self.error(
                row,
                "reference",
                f"Hazard number {reference} is used again (first on row {seen[key]}); "
                "each hazard needs its own number.",
            )
            return None
        seen[key] = row
        self.owned.add(row)
        return reference

    def additional(self, row: int) -> tuple[tuple[str, str], ...]:
        """The row's values in the columns kept as additional columns, as Excel shows them: ((header, text), …).
        A formula, an error or an over-long text is not kept, and its cell is named."""
        values = self.grid.rows.get(row, {})
        pairs = []
        for col, header in self.kept.items():
            if col not in values or (row, col) in self.filled and values[col] is None:
                continue
            where = f"{get_column_letter(col)}{row}"
            if (row, col) in self.grid.formulas:
                why = "holds a formula, whose saved result is not imported"
            elif (row, col) in self.grid.errors:
                why = f"shows the error {values[col]}"
            elif (row, col) in self.grid.unstorable:
                why = f"holds {self.grid.unstorable[(row, col)]}, which cannot be stored"
            elif len(text := _as_text(values[col])) > CELL_MAX_CHARS:
                why = f"has {len(text):,} characters, more than the {CELL_MAX_CHARS:,} a cell holds"
            else:
                if text:
                    pairs.append((header, text))
                continue
            self.dropped[(row, col)] = why
            self.warning(row, col, f"{where} ('{header}') {why}; it was not imported.")
        return tuple(pairs)

    def category(self, row: int) -> str:
        """The hazard type without stray spaces around it: proposed, and said once for each value that had them."""
        tidy = self.text(row, "hazard_type", SHORT_TEXT_MAX_CHARS)
        raw = self.raw(row, "hazard_type")
        if (
            isinstance(raw, str)
            and raw.strip() == tidy != raw
            and raw not in self.tidied
            and (row, self.columns["hazard_type"]) not in self.grid.formulas
        ):
            self.tidied.add(raw)
            self.warning(
                row,
                "hazard_type",
                f"The hazard type '{raw}' has stray spaces; it is proposed as '{tidy}' (the same for every row "
                "with it). Confirm the import to accept.",
            )
        return tidy

    def _blank_status(self, row: int, reference: str) -> None:
        """A blank status is not silently made Open: the proposal is said, for the CSO to confirm."""
        where = f"{get_column_letter(self.columns['status'])}{row}"
        self.warning(
            row,
            "status",
            f"{where} (Status) is empty for hazard {reference}: it is proposed as Open if the hazard is new (an "
            "existing hazard keeps its status). Confirm the import to accept, or fill in the status.",
        )

    def _no_status_column(self) -> None:
        self.warning(None, "", NO_STATUS_COLUMN)

    def _carried(self, *keys: str) -> set[str]:
        return {key for key in keys if key in self.columns}

    def _canonical(self) -> list[ParsedHazard]:
        hazards = []
        seen: dict[str, int] = {}
        control_columns = {f"controls.{t or k}" for key, k, t in CANONICAL_CONTROL_COLUMNS if key in self.columns}
        if "status" not in self.columns:
            self._no_status_column()
        for row in self._data_rows():
            reference = self._start(row, seen)
            if reference is None:
                continue
            # Our own export's list cells, cut where its hidden sheet says, when they still agree with it.
            record = self.exported[0].get(reference) if self.exported else None
            cut = self._cut(row, reference, record) if record and set(record) - LAYOUT_ORDERS else None
            causes = self.causes(row) if cut is None else ()
            if "cause_ids" in self.columns and cut is None:
                ids = dict(parse_items(self.text(row, "cause_ids")))
                causes = tuple(replace(c, source_id=ids.get(c.number, "").strip()[:20]) for c in causes)
            status = self.status(row)
            if status is None and "status" in self.columns and not self.text(row, "status"):
                self._blank_status(row, reference)
            hazard = HazardRow(
                reference=reference,
                name=self.name(row, reference),
                description=self.text(row, "description"),
                clinical_impact=self.text(row, "clinical_impact"),
                hazard_type=self.category(row),
                owner=self.text(row, "owner", SHORT_TEXT_MAX_CHARS),
                actions=self.text(row, "actions"),
                status=status or "open",
                causes=causes,
                controls=self.canonical_controls(row, {c.number for c in causes}) if cut is None else (),
                initial=self.assessment(row, "initial"),
                residual=self.assessment(row, "residual"),
                additional_columns=self.additional(row) + (self._no_entries(row) if cut is None else ()),
                status_reason=self.text(row, "status_reason"),
                raised_on=self.raised_on(row, reference),
            )
            hazard, details = self._as_exported(row, hazard, record, cut)
            carries = self._carried("description", "clinical_impact", "hazard_type", "owner", "actions", "causes")
            carries |= self._carried("status_reason") | ({"status_reason"} if self.exported else set())
            carries |= {"additional_columns"} if self.kept or hazard.additional_columns else set()
            carries |= {"controls.details"} if details else set()
            hazards.append(self._parsed(hazard, row, carries | control_columns | ({"status"} if status else set())))
        return hazards

    def _no_entries(self, row: int) -> tuple[tuple[str, str], ...]:
        """The control columns' entries of none ("2) None"), as written, each column's as an additional column
        of the hazard (layout.NO_ENTRIES_HEADERS), so that the export writes them back in their places."""
        found = []
        for key, header in layout.NO_ENTRIES_HEADERS.items():
            if entries := no_entries(self.text(row, key)):
                found.append((header, format_items(entries)))
        return tuple(found)

    # Our own export's columns after S, and its hidden sheet ------------------------------------------

    def _list_cells(self, row: int) -> dict[str, tuple[int, str]]:
        """The row's list cells that our export writes and lays out in its hidden sheet: key → (column, text as
        in the file, untrimmed)."""
        keys = ["causes", *(key for key, _, _ in CANONICAL_CONTROL_COLUMNS), "cause_ids"]
        keys += list(layout.CONTROL_DETAIL_COLUMNS)
        found = {key: self.columns[key] for key in keys if key in self.columns}
        found |= {f"control:{header}": col for col, header in self.control_kept.items()}
        values = self.grid.rows.get(row, {})
        return {key: (col, "" if values.get(col) is None else str(values[col])) for key, col in found.items()}

    def _cut(self, row: int, reference: str, record: dict) -> dict[str, list] | None:
        """The row's list cells cut into items where our export's hidden sheet says (`record`, the hazard's
        layout), or None, said, if any of them no longer agrees with it (edited in Excel: the cells win)."""
        cells = self._list_cells(row)
        cut = {key: structure.cut(text, record.get(key, [])) for key, (_, text) in cells.items()}
        agrees = all(items is not None for items in cut.values()) and set(record) - LAYOUT_ORDERS <= set(cut)
        if agrees and _layout_is_sound(cut):
            return cut
        self.warning(
            row,
            "",
            f"Row {row} (hazard {reference}) was changed in Excel after the export: its causes and controls "
            f"were read from the cells as they show, not from the export's hidden sheet '{structure.SHEET}', which "
            "no longer matches them. Check its controls' details (owner, status, evidence), which are matched "
            "by the control numbers they name.",
        )
        return None

    def _as_exported(
        self, row: int, hazard: HazardRow, record: dict | None, cut: dict | None
    ) -> tuple[HazardRow, bool]:
        """(the hazard with its causes and controls as our export wrote them, whether the file carries the
        controls' details). With the row's list cells `cut` as the hidden sheet says, they are taken as they
        were written; otherwise the controls' details of the columns after S are matched by the control
        numbers they name. The hazard's additional columns keep the order the hidden sheet recorded."""
        if record is not None:
            kept = tuple(pair for pair in hazard.additional_columns if pair[0] not in NO_ENTRIES)
            nones = tuple(pair for pair in hazard.additional_columns if pair[0] in NO_ENTRIES)
            hazard = replace(hazard, additional_columns=_in_order(kept, record.get("additional_order")) + nones)
        if cut is not None:
            hazard = self._from_layout(hazard, cut, record.get("control_order", {}))
            if "evidence_url" in (cells := self._list_cells(row)):
                for control in hazard.controls:
                    if control.evidence_url:
                        self._check_link(row, cells["evidence_url"][0], control.evidence_url)
            return hazard, True
        cells = self._list_cells(row)
        details = {
            key: self._labelled(row, col, text)
            for key, (col, text) in cells.items()
            if key.startswith(("control_", "implementation_", "evidence", "control:"))
        }
        if not details:
            return hazard, False
        by_number = {control.number: control for control in hazard.controls}
        changes: dict[int, dict] = {number: {} for number in by_number}
        for key, values in details.items():
            for number, text in values.items():
                if number not in by_number:
                    self.warning(
                        row,
                        cells[key][0],
                        f"Control {number} is not a control of hazard {hazard.reference}; "
                        f"“{_short(text)}” was not imported.",
                    )
                    self.dropped[(row, cells[key][0])] = f"names control {number}, which the hazard does not have"
                elif key.startswith("control:"):
                    kept = changes[number].setdefault("additional_columns", ())
                    changes[number]["additional_columns"] = (*kept, (key.split(":", 1)[1], text))
                else:
                    changes[number][layout.CONTROL_DETAIL_COLUMNS[key]] = self._detail(row, cells[key][0], key, text)
        order = (record or {}).get("control_order", {})
        controls = tuple(replace(c, **changes[c.number]) for c in hazard.controls)
        controls = tuple(
            replace(c, additional_columns=_in_order(c.additional_columns, order.get(str(c.number)))) for c in controls
        )
        return replace(hazard, controls=controls), True

    def _labelled(self, row: int, col: int, text: str) -> dict[int, str]:
        """A control column after S, `Control 3: …` lines → {control number: text}. Lines before the first
        label belong to no control: said, and not imported."""
        found: dict[int, str] = {}
        current = None
        for line in text.split("\n"):
            if label := layout.CONTROL_LABEL.match(line):
                current = int(label.group(1))
                found[current] = line[label.end() :]
            elif current is not None:
                found[current] += "\n" + line
            elif line.strip():
                where = f"{get_column_letter(col)}{row}"
                self.warning(
                    row, col, f"{where}: “{_short(line)}” names no control ('Control 3: …'); it was not imported."
                )
        return {number: value.strip() for number, value in found.items()}

    def _detail(self, row: int, col: int, key: str, text: str) -> str:
        """A control's detail as stored: an implementation status by its label, an owner or id within its limit."""
        if key == "implementation_status":
            status = IMPLEMENTATION_STATUSES.get(normalise_label(text))
            if status is None:
                self.warning(
                    row,
                    col,
                    f"'{text}' is not an implementation status ({', '.join(STATUS_VALUES)}); the control was imported "
                    "as Proposed.",
                )
            return status or "proposed"
        limit = {"control_owner": SHORT_TEXT_MAX_CHARS, "control_ids": SOURCE_ID_MAX_CHARS, "evidence_url": 500}
        if len(text) > limit.get(key, CELL_MAX_CHARS):
            self.error(
                row,
                col,
                f"{get_column_letter(col)}{row} ({LABELS[key]}) has a value of {len(text):,} "
                f"characters; the most allowed is {limit.get(key, CELL_MAX_CHARS):,}.",
            )
        elif key == "evidence_url":
            self._check_link(row, col, text)
        return text

    def _check_link(self, row: int, col: int, text: str) -> None:
        """An evidence link is shown as a link on the hazard page: only a web address (http or https)."""
        try:
            EVIDENCE_LINK(text)
        except ValidationError:
            self.error(
                row,
                col,
                f"{get_column_letter(col)}{row} ({LABELS['evidence_url']}): “{_short(text)}” is not a web address "
                "starting with https:// or http://.",
            )

    def _from_layout(self, hazard: HazardRow, cut: dict[str, list], order: dict[str, list]) -> HazardRow:
        """The hazard's causes and controls from its list cells cut as the hidden sheet says (`cut` has passed
        `_layout_is_sound`: numbers are numbers, types are the column's, causes exist)."""
        ids = {what[0]: text for what, text in cut.get("cause_ids", [])}
        causes = tuple(CauseRow(what[0], text, ids.get(what[0], "")) for what, text in cut.get("causes", []))
        controls: dict[int, dict] = {}
        nones: dict[str, list] = {}
        for key, kind, _ in CANONICAL_CONTROL_COLUMNS:
            for (number, cause, control_type), text in cut.get(key, []):
                if number == 0:  # an entry of none, which the writer lists as control 0
                    nones.setdefault(key, []).append((cause, text))
                    continue
                control = controls.setdefault(
                    number,
                    {"description": text, "kind": kind, "control_type": control_type, "cause_numbers": []},
                )
                if cause is not None:
                    control["cause_numbers"].append(cause)
        for key, name in layout.CONTROL_DETAIL_COLUMNS.items():
            for (number,), text in cut.get(key, []):
                if number in controls:
                    controls[number][name] = (
                        STATUS_VALUES.get(text, "proposed") if key == "implementation_status" else text
                    )
        for key, items in cut.items():
            if key.startswith("control:"):
                for (number,), text in items:
                    if number in controls:
                        kept = controls[number].setdefault("additional_columns", ())
                        controls[number]["additional_columns"] = (*kept, (key.split(":", 1)[1], text))
        rows = tuple(
            ControlRow(
                number,
                **fields
                | {
                    "cause_numbers": tuple(sorted(fields["cause_numbers"])),
                    "additional_columns": _in_order(fields.get("additional_columns", ()), order.get(str(number))),
                },
            )
            for number, fields in sorted(controls.items())
        )
        kept = tuple(pair for pair in hazard.additional_columns if pair[0] not in NO_ENTRIES)
        kept += tuple(
            (header, format_items(nones[key])) for key, header in layout.NO_ENTRIES_HEADERS.items() if key in nones
        )
        return replace(hazard, causes=causes, controls=rows, additional_columns=kept)

    def _consumer(self) -> list[ParsedHazard]:
        hazards = []
        seen: dict[str, int] = {}
        if "suggested_actions" in self.columns and "actions" in self.columns:
            # Both read as the hazard's actions: the second is kept rather than dropped.
            col = self.columns.pop("actions")
            self._keep(col, self.grid.header[col].strip(), "is a second actions column")
            self.kept = dict(sorted(self.kept.items()))
        # This layout has no risk assessment: an assessment's rationale, assessor or date is kept with the hazard.
        for key in [key for key in self.columns if key.startswith(("initial_", "residual_"))]:
            col = self.columns.pop(key)
            self.sources = [source for source in self.sources if source["column"] != get_column_letter(col)]
            self._keep(col, self.grid.header[col].strip(), "has no risk assessment to go with in this layout")
        self.kept = dict(sorted(self.kept.items()))
        self._no_status_column()
        for row in self._data_rows():
            reference = self._start(row, seen)
            if reference is None:
                continue
            hazard = HazardRow(
                reference=reference,
                name=self.name(row, reference),
                description=self.text(row, "description"),
                clinical_impact=self.text(row, "clinical_impact"),
                hazard_type=self.category(row),
                actions=self.text(row, "suggested_actions") or self.text(row, "actions"),
                causes=self.causes(row),
                additional_columns=self.additional(row),
                raised_on=self.raised_on(row, reference),
            )
            carries = self._carried("description", "clinical_impact", "hazard_type", "causes")
            carries |= {"additional_columns"} if self.kept else set()
            if "suggested_actions" in self.columns or "actions" in self.columns:
                carries.add("actions")
            hazards.append(self._parsed(hazard, row, carries))
        return hazards

    def _per_control(self) -> list[ParsedHazard]:
        """Rows repeat the hazard, one per control; a row without a hazard number continues the hazard above."""
        groups: list[tuple[str, list[int]]] = []
        seen: dict[str, int] = {}
        if "status" not in self.columns:
            self._no_status_column()
        current = None  # the hazard number (compared loosely) of the rows being read; None before any
        for row in self._data_rows():
            raw = _squash(self.raw(row, "reference"))
            if not raw and current is not None:
                if groups and current == _squash(groups[-1][0]):
                    self.warning(
                        row,
                        "reference",
                        f"Row {row} has no hazard number; it was read as part of {groups[-1][0]} above.",
                    )
                    groups[-1][1].append(row)
                    self.owned.add(row)
                continue
            if raw and raw == current:
                if groups and current == _squash(groups[-1][0]):
                    groups[-1][1].append(row)
                    self.owned.add(row)
                continue
            current = raw or None
            if groups and self._continues(row, groups[-1]):
                groups[-1][1].append(row)
                continue
            reference = self._start(row, seen)
            if reference is not None:
                groups.append((reference, [row]))
        return [self._per_control_hazard(reference, rows) for reference, rows in groups]

    def _continues(self, row: int, group: tuple[str, list[int]]) -> bool:
        """Whether a row with another hazard number has the hazard name and cause ids of the hazard above
        (Excel's fill-down increments a number it copies): proposed as part of it, and said so."""
        reference, rows = group
        name, cause = _squash(self.raw(row, "name")), _ID_PREFIX.match(self.text(row, "causes"))
        ids = {m.group(1)[:-2] for r in rows if (m := _ID_PREFIX.match(self.text(r, "causes")))}
        if not name or name != _squash(self.raw(rows[0], "name")) or cause is None or cause.group(1)[:-2] not in ids:
            return False
        self.owned.add(row)
        self.warning(
            row,
            "reference",
            f"Row {row} has hazard number {_as_text(self.raw(row, 'reference'))}, but its hazard name and cause id "
            f"{cause.group(1)} continue hazard {reference} above (Excel's fill-down increments a number it copies): "
            f"it is proposed as part of {reference}. If it is a hazard of its own, give it its own name and "
            "cause ids.",
        )
        return True

    def _per_control_hazard(self, reference: str, rows: list[int]) -> ParsedHazard:
        first = rows[0]
        fields = {key: self._hazard_value(rows, key) for key in ("description", "clinical_impact", "existing_controls")}
        fields |= {key: self._hazard_value(rows, key, SHORT_TEXT_MAX_CHARS) for key in ("hazard_type", "owner")}
        if "hazard_type" in self.columns:
            self.category(self._first_row_with(rows, "hazard_type"))
        fields["actions"] = self._hazard_value(rows, "actions")
        status = self.status(self._first_row_with(rows, "status"))
        if status is None and "status" in self.columns and not self.text(first, "status"):
            self._blank_status(first, reference)
        name = self._hazard_value(rows, "name", NAME_MAX_CHARS)
        if not name:
            self.error(first, "name", f"Hazard {reference} has no hazard name; enter one.")
        raised_row = self._first_row_with(rows, "raised_on")
        raised_on = self.raised_on(raised_row, reference)
        self._consistent(rows, raised_row, ("raised_on",), f"'{LABELS['raised_on']}'")
        stages = {}
        for stage in ("initial", "residual"):
            keys = (f"{stage}_severity", f"{stage}_likelihood")
            stage_row = self._first_row_with(rows, *keys)
            stages[stage] = self.assessment(stage_row, stage)
            if stages[stage] is None:  # the details of any row of the hazard then have nothing to hold them
                for row in rows:
                    if row != stage_row:
                        self._details_without_assessment(row, stage)
            self._consistent(rows, stage_row, keys, f"{stage} assessment")
            for detail in layout.ASSESSMENT_DETAILS:  # each alone: a detail left blank on later rows is no difference
                key = f"{stage}_{detail}"
                self._consistent(rows, stage_row, (key,), f"'{LABELS.get(key, key)}'")
        causes, cause_of_row, cause_ids = self._number_causes(rows)
        # (kind, type, text, owner, status, evidence, additional columns) → (cause numbers, source ids)
        controls: dict[tuple, tuple[list[int], list[str]]] = {}
        hazard_columns: tuple = ()  # kept columns of rows without a control belong to the hazard
        for row in rows:
            if not self._control_of_row(row, cause_of_row.get(row), controls) and (kept := self.additional(row)):
                if not hazard_columns:
                    hazard_columns = kept
                elif kept != hazard_columns:
                    for col in self.kept:
                        if col in self.grid.rows.get(row, {}):
                            self.dropped[(row, col)] = f"differs from row {first} of the same hazard, which is used"
        existing = [
            ControlRow(i, text, "existing", "", cause_numbers=(n,) if n else ())
            for i, (n, text) in enumerate(
                ((n, t.strip()) for n, t in parse_items(fields["existing_controls"]) if t.strip()), start=1
            )
        ]
        existing = [c if not c.cause_numbers or c.cause_numbers[0] in causes else _uncaused(c) for c in existing]
        additional = [
            ControlRow(
                len(existing) + i,
                text,
                "additional",
                control_type,
                owner=owner,
                implementation_status=status,
                evidence=evidence,
                source_id=", ".join(ids)[:SOURCE_ID_MAX_CHARS],
                additional_columns=kept,
                cause_numbers=tuple(sorted(numbers)),
            )
            for i, ((_, control_type, text, owner, status, evidence, kept), (numbers, ids)) in enumerate(
                controls.items(), start=1
            )
        ]
        hazard = HazardRow(
            reference=reference,
            name=name,
            description=fields["description"],
            clinical_impact=fields["clinical_impact"],
            hazard_type=fields["hazard_type"],
            owner=fields["owner"],
            actions=fields["actions"],
            status=status or "open",
            causes=tuple(CauseRow(n, causes[n], cause_ids.get(n, "")) for n in sorted(causes)),
            controls=tuple(existing + additional),
            initial=stages["initial"],
            residual=stages["residual"],
            additional_columns=hazard_columns,
            raised_on=raised_on,
        )
        carries = self._carried("description", "clinical_impact", "hazard_type", "owner", "actions", "causes")
        carries |= {f"controls.{t}" for t in ("design", "test", "training", "bpc")} | {"controls.details"}
        carries |= {"additional_columns"} if self.kept else set()
        if "existing_controls" in self.columns:
            carries.add("controls.existing")
        return self._parsed(hazard, first, carries | ({"status"} if status else set()))

    def _first_row_with(self, rows, *keys) -> int:
        return next((row for row in rows if any(_as_text(self.raw(row, key)) for key in keys)), rows[0])

    def _hazard_value(self, rows, key, limit: int = CELL_MAX_CHARS) -> str:
        """A hazard-level cell repeated on every row of the hazard: the first filled one, differences reported."""
        row = self._first_row_with(rows, key)
        value = self.text(row, key, limit)
        self._consistent(rows, row, (key,), f"'{LABELS.get(key, key)}'")
        return value

    def _consistent(self, rows, used_row, keys, what):
        used = [_squash(self.raw(used_row, key)) for key in keys]
        warned = False
        for row in rows:
            values = [_squash(self.raw(row, key)) for key in keys]
            if row != used_row and any(values) and values != used:
                for key in keys:
                    if (col := self.columns.get(key)) and col in self.grid.rows.get(row, {}):
                        self.dropped[(row, col)] = f"differs from row {used_row} of the same hazard, which is used"
                if not warned:
                    self.warning(
                        row,
                        keys[0],
                        f"The {what} on row {row} differs from row {used_row} of the same hazard; row {used_row} is "
                        "used.",
                    )
                    warned = True

    def _number_causes(self, rows) -> tuple[dict[int, str], dict[int, int], dict[int, str]]:
        """Causes from ids like '0101' (hazard 01, cause 01). An id is kept by the first cause that uses
        it; the same text under another id is the same cause; a different cause reusing an id (or one
        without an id) is numbered after the highest id, so one slip does not renumber the causes after it."""
        found = {}  # row → (id text, number, text, key)
        claimed: dict[int, str] = {}  # number → key of the cause that keeps it
        claimed_keys: set[str] = set()
        texts: dict[str, str] = {}  # key → text as first written
        for row in rows:
            text = self.text(row, "causes")
            if not text or is_no_entry(text):
                continue
            match = _ID_PREFIX.match(text)
            ident, number = (match.group(1)[:20], int(match.group(1)[-2:])) if match else ("", None)
            text = text[match.end() :].strip() if match else text
            key = _squash(text).rstrip(" .;:,")
            found[row] = (ident, number, text, key)
            texts.setdefault(key, text)
            if number and number <= MAX_NUMBER and number not in claimed and key not in claimed_keys:
                claimed[number] = key
                claimed_keys.add(key)
        number_of = {key: number for number, key in claimed.items()}
        highest = max(number_of.values(), default=0)
        for key in texts:
            if key not in number_of:
                highest += 1
                number_of[key] = highest
        reported = set()
        for row, (ident, number, text, key) in found.items():
            given = number_of[key]
            if ident and number != given and (ident, key) not in reported:
                reported.add((ident, key))
                if claimed.get(given) == key:
                    self.warning(
                        row,
                        "causes",
                        f"Cause id {ident} repeats the text of cause {given}; it was read as cause {given}.",
                    )
                else:
                    other = _short(texts[claimed[number]])
                    self.warning(
                        row,
                        "causes",
                        f"Cause id {ident} is already used for a different cause (“{other}”); "
                        f"this one (“{_short(text)}”) was imported as cause {given}.",
                    )
        causes = {number_of[key]: text for key, text in texts.items()}
        ids: dict[int, str] = {}  # cause number → the id it was first written with
        for ident, _, _, key in found.values():
            if ident:
                ids.setdefault(number_of[key], ident)
        return (
            dict(sorted(causes.items())),
            {row: number_of[key] for row, (*_, key) in found.items()},
            ids,
        )

    def _control_of_row(self, row, cause: int | None, controls: dict[tuple, list[int]]) -> bool:
        """Add the row's control to `controls`; False if the row has none."""
        text = self.text(row, "additional_controls")
        match = re.match(r"^\s*(\d{4,})(?!\d)\s*", text)
        source_id = match.group(1) if match else ""
        text = text[match.end() :].strip() if match else text
        if not text or is_no_entry(text):
            return False
        type_text = self.text(row, "control_type")
        control_type = CONTROL_TYPES.get(normalise_label(type_text))
        if not type_text:
            control_type = "design"
            self.warning(
                row, "control_type", "The control type is empty; the control was imported as Design. Check it."
            )
        elif control_type is None:
            self.error(row, "control_type", f"'{type_text}' is not a control type. Use {CONTROL_TYPE_NAMES}.")
            return True
        owner = self.text(row, "control_owner", SHORT_TEXT_MAX_CHARS)
        evidence = self.text(row, "action")
        status_text = self.text(row, "action_status")
        status = ACTION_STATUSES.get(normalise_label(status_text))
        if status is None:
            status = "proposed"
            self.warning(
                row,
                "action_status",
                f"The action status '{status_text}' is neither open nor closed; the control was imported as Proposed.",
            )
        key = ("additional", control_type, text, owner, status, evidence, self.additional(row))
        # The same control answering several causes is one control, with the id of each row (", ").
        numbers, ids = controls.setdefault(key, ([], []))
        if cause is not None and cause not in numbers:
            numbers.append(cause)
        if source_id and source_id not in ids:
            ids.append(source_id)
        return True

    def _parsed(self, hazard: HazardRow, row: int, carries: set[str]) -> ParsedHazard:
        carries = carries | {"reference", "name"}
        if hazard.raised_on is not None:
            carries.add("raised_on")
        for stage in STAGES:
            if getattr(hazard, stage) is not None:
                # "initial", and "initial.rationale" … for each detail the sheet has a column for.
                carries.add(stage)
                details = (name for name in layout.ASSESSMENT_DETAILS if f"{stage}_{name}" in self.columns)
                carries |= {f"{stage}.{name}" for name in details}
        return ParsedHazard(
            hazard=hazard,
            row=row,
            carries=frozenset(carries),
            columns={key: get_column_letter(col) for key, col in self.columns.items()},
        )


def _keeping_order(count: int, sequences) -> list[int]:
    """An order of `count` items that keeps the order of every sequence, earliest item first when free.

    A cell lists the controls answering each cause by control number, so numbering the cell's controls in
    such an order lets the writer list them exactly as they were. Cell order if no such order exists."""
    later: dict[int, set[int]] = {i: set() for i in range(count)}
    waiting = [0] * count
    for sequence in sequences:
        for first, second in itertools.pairwise(sequence):
            if second not in later[first]:
                later[first].add(second)
                waiting[second] += 1
    ready = [i for i in range(count) if not waiting[i]]
    order = []
    while ready:
        item = heapq.heappop(ready)
        order.append(item)
        for after in later[item]:
            waiting[after] -= 1
            if not waiting[after]:
                heapq.heappush(ready, after)
    return order if len(order) == count else list(range(count))


def _number(value) -> bool:
    return type(value) is int and value >= 0


def _layout_is_sound(cut: dict[str, list]) -> bool:
    """Whether the items of a row's list cells, cut as the hidden sheet says, say what our export writes:
    cause and control numbers, controls under causes the hazard has, each additional control of its own
    column's type. The sheet is in the uploaded file, so it is checked like any cell: a record that is not
    sound is not used (the visible cells win), rather than stored or failing later."""
    causes = [what for what, _ in cut.get("causes", [])]
    if not all(len(what) == 1 and _number(what[0]) and what[0] > 0 for what in causes):
        return False
    numbers = {what[0] for what in causes}
    if len(numbers) != len(causes):
        return False
    if not all(len(what) == 1 and what[0] in numbers for what, _ in cut.get("cause_ids", [])):
        return False
    for key, _, column_type in CANONICAL_CONTROL_COLUMNS:
        for what, _ in cut.get(key, []):
            if len(what) != 3 or not _number(what[0]) or not (what[1] is None or _number(what[1])):
                return False
            if what[0] and what[1] is not None and what[1] not in numbers:  # 0: an "n) None" line, kept as is
                return False
            if what[2] not in ({column_type} if column_type else {"", *CONTROL_TYPES.values()}):
                return False
    return all(
        len(what) == 1 and _number(what[0])
        for key, items in cut.items()
        if key in layout.CONTROL_DETAIL_COLUMNS or key.startswith("control:")
        for what, _ in items
    )


def _in_order(pairs: tuple, order: list | None) -> tuple:
    """Additional columns (header, text) in the order our export recorded for them, if it holds the same ones."""
    if not order or sorted(order) != sorted(header for header, _ in pairs):
        return pairs
    return tuple(sorted(pairs, key=lambda pair: order.index(pair[0])))


def _uncaused(control: ControlRow) -> ControlRow:
    return replace(control, cause_numbers=())


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _as_rating(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):  # a rating shown with decimals, e.g. "3.0"
        text = text.split(".")[0]
    return int(text) if text.isdigit() else None


def _squash(value) -> str:
    """Text compared loosely: spacing and case ignored."""
    return " ".join(_as_text(value).split()).casefold()


def _short(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _runs(numbers: list[int]):
    """[2, 3, 4, 9] → (2, 4), (9, 9)."""
    start = previous = None
    for n in numbers:
        if start is None:
            start = previous = n
        elif n == previous + 1:
            previous = n
        else:
            yield start, previous
            start = previous = n
    if start is not None:
        yield start, previous
