"""The cells of an uploaded workbook: its hazard sheet as a grid, and the labelled cells of its Cover Page.

The workbook is opened as openpyxl's read-only mode opens it, and each sheet streamed by openpyxl's own
parser (the one read-only mode uses), subclassed to note which cells are formulas (and their text):
read-only mode with `data_only` gives a formula's saved result but forgets it was a formula, and cannot
see merged cells or hidden rows. The parser reads every row in the XML whatever the sheet's <dimension>
says, so an understated dimension loses nothing. XML is parsed by defusedxml, as openpyxl does when it is
installed.

The work is bounded while streaming (settings HAZARDLOG_MAX_ROWS and _CELLS, across every sheet read, and
the shared strings): a file within the size limits can still hold millions of tiny rows or cells, and is
refused as soon as it passes a limit, naming it. What the import never uses (formatting rules, links,
validations, print settings) is skipped rather than built into objects.
"""

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass

import openpyxl
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import coordinate_to_tuple, get_column_letter
from openpyxl.worksheet._reader import (
    COL_TAG,
    FORMULA_TAG,
    INLINE_STRING,
    MERGE_TAG,
    ROW_TAG,
    VALUE_TAG,
    WorkSheetParser,
)
from openpyxl.worksheet.merge import MergeCells
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from hazardlog.text import normalise_label
from hazardlog.workbook import layout
from hazardlog.workbook.celltext import from_cell
from hazardlog.workbook.guard import Message, UploadRefused

if not openpyxl.DEFUSEDXML:
    raise ImproperlyConfigured("defusedxml must be installed (and OPENPYXL_DEFUSEDXML not False) to read uploads.")

HEADER_SEARCH_ROWS = 10
MAX_COLUMN = 16_384  # Excel's last column, XFD
TEXT_TAG = f"{{{SHEET_MAIN_NS}}}t"
RUN_TAG = f"{{{SHEET_MAIN_NS}}}r"
STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
# Characters PostgreSQL cannot store in text (NUL), or that cannot be encoded at all (lone surrogates,
# which Excel's _xD800_ escape can produce).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DECIMAL_FORMAT = re.compile(r"(?:#,##)?0\.(0+)")


def read_cells(content: bytes, max_hazards: int):
    """(the hazard sheet's Grid, the Cover Page's labelled cells or None, every other sheet's cells as
    SheetCells in workbook order). Raises UploadRefused when there is no hazard sheet, too many hazards,
    or XML that is unsafe or unreadable."""
    try:
        book = _Book(content)
        try:
            grid = _hazard_grid(book, max_hazards)
            others = [_sheet_cells(book, title) for title in book.sheets if title != grid.sheet]
            return grid, _cover_values(others), others
        finally:
            book.close()
    except UploadRefused:
        raise
    except Exception as error:  # openpyxl raises many types on malformed files; each means the same here
        raise _unreadable(error) from None


def _unreadable(error: Exception) -> UploadRefused:
    while error is not None and not isinstance(error, DefusedXmlException):
        error = error.__cause__ or error.__context__  # openpyxl wraps what defusedxml raises
    if error is not None:
        return UploadRefused(
            "The workbook contains XML entity or document type declarations, which Excel never writes and which "
            "are used in attacks; it was not read. Save it again from Excel."
        )
    return UploadRefused(
        "The workbook could not be read: it is damaged or not a genuine Excel file. Save it again from Excel."
    )


def unstorable(text: str) -> str:
    """What is wrong with `text` for the database ("" if nothing): names the first unstorable character."""
    match = UNSTORABLE.search(text)
    if match is None:
        return ""
    return "a NUL character" if match.group() == "\x00" else f"the invalid character U+{ord(match.group()):04X}"


class Budget:
    """Rows and cells read so far from the whole workbook, refused past the limits (settings)."""

    def __init__(self):
        self.rows = self.cells = 0
        self.max_rows = settings.HAZARDLOG_MAX_ROWS
        self.max_cells = settings.HAZARDLOG_MAX_CELLS

    def row(self, sheet: str, number: int) -> None:
        self.rows += 1
        if self.rows > self.max_rows:
            raise UploadRefused(
                f"The workbook has more than {self.max_rows:,} rows in the sheets read (the limit was passed at "
                f"row {number:,} of '{sheet}'), more than one import reads. Delete the empty rows below the "
                "hazards (select them, right-click › Delete), or split the log.",
                sheet,
                number,
            )

    def cells_in(self, sheet: str, number: int, count: int) -> None:
        self.cells += count
        if self.cells > self.max_cells:
            raise UploadRefused(
                f"The workbook has more than {self.max_cells:,} cells in the sheets read (the limit was passed "
                f"at row {number:,} of '{sheet}'), more than one import reads. Clear the formatting of the "
                "unused rows and columns, or split the log.",
                sheet,
                number,
            )


class _Book:
    """A workbook opened as openpyxl's read-only mode opens it (its ExcelReader, shared strings, date
    styles), without building its read-only worksheets: each of those first scans its whole sheet for a
    <dimension> element, which openpyxl's write-only mode (our own exports) never writes, so a sheet
    would be parsed twice. Sheets are streamed on demand instead."""

    def __init__(self, content: bytes):
        self.reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
        self.budget = Budget()
        self.reader.read_manifest()
        self.reader.shared_strings = self._shared_strings()
        self.reader.read_workbook()
        apply_stylesheet(self.reader.archive, self.reader.wb)  # which number formats are dates
        self._decimals: dict[int, int] = {}
        self.sheets, self.hidden = {}, set()
        for sheet, rel in self.reader.parser.find_sheets():
            if rel.target in self.reader.valid_files and "chartsheet" not in rel.Type:
                self.sheets[sheet.name] = rel.target
                if sheet.state in ("hidden", "veryHidden"):
                    self.hidden.add(sheet.name)

    def _shared_strings(self) -> list[str]:
        """openpyxl's read_string_table (its text, its x005F_ handling), with no object built per string,
        and no more strings than cells may be read."""
        part = self.reader.package.find("application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml")
        strings: list[str] = []
        if part is None:
            return strings
        with self.reader.archive.open(part.PartName[1:]) as source:
            for _, node in iterparse(source):
                if node.tag == STRING_TAG:
                    strings.append(_text_of(node).replace("x005F_", ""))
                    node.clear()
                    if len(strings) > self.budget.max_cells:
                        raise UploadRefused(
                            f"The workbook holds more than {self.budget.max_cells:,} different texts, more than "
                            "the cells one import reads. Remove the sheets that are not the hazard log, or "
                            "split the log."
                        )
        return strings

    def decimals(self, style_id) -> int:
        """How many decimals the cell style's number format shows (0 unless it is a plain '0.0…' format):
        a version typed 1.0 in a cell formatted to show 1.0 reads as the text '1.0'."""
        style_id = int(style_id or 0)
        if style_id not in self._decimals:
            wb = self.reader.wb
            styles = wb._cell_styles
            number_format = ""
            if style_id < len(styles):
                fmt_id = styles[style_id].numFmtId
                number_format = BUILTIN_FORMATS.get(fmt_id) or (
                    wb._number_formats[fmt_id - 164] if 164 <= fmt_id < 164 + len(wb._number_formats) else ""
                )
            match = _DECIMAL_FORMAT.fullmatch(number_format or "")
            self._decimals[style_id] = len(match.group(1)) if match else 0
        return self._decimals[style_id]

    @contextmanager
    def parser(self, title: str):
        wb = self.reader.wb
        with self.reader.archive.open(self.sheets[title]) as source:
            yield _FormulaAwareParser(
                source,
                self.reader.shared_strings,
                data_only=True,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
                budget=self.budget,
                title=title,
                decimals=self.decimals,
            )

    def close(self) -> None:
        self.reader.archive.close()


# Elements read when their parent ends: a cell's value, formula and inline string with rich-text runs and
# fonts, and each merged range of <mergeCells>.
_CELL_PARTS = frozenset(
    f"{{{SHEET_MAIN_NS}}}{name}"
    for name in ("c", "v", "f", "is", "t", "r", "rPr", "rPh", "phoneticPr", "mergeCell")
    + ("rFont", "charset", "family", "b", "i", "strike", "outline", "shadow", "condense", "extend", "color", "sz")
    + ("u", "vertAlign", "scheme")
)


def _text_of(node) -> str:
    """The text of an inline or shared string (<is> or <si>) as openpyxl's Text.content gives it: the plain
    <t> and each rich-text run's <t>, without phonetic guides."""
    texts = [child.text or "" for child in node if child.tag == TEXT_TAG]
    for run in node:
        if run.tag == RUN_TAG:
            texts += [child.text or "" for child in run if child.tag == TEXT_TAG]
    return "".join(texts)


class _FormulaAwareParser(WorkSheetParser):
    """openpyxl's streaming sheet parser, also noting which cells hold a formula (with its text; a shared
    formula's dependents get their master's), and which formulas were never calculated: no saved result,
    or an empty one that is not text (Excel saves an empty text result as t="str"; tools that cannot
    calculate, openpyxl among them, save an empty <v/>). Rows and cells are counted against `budget`."""

    def __init__(self, *args, budget: Budget, title: str, decimals, **kwargs):
        super().__init__(*args, **kwargs)
        self.budget, self.title, self.decimals = budget, title, decimals
        self.formula_cells: dict[tuple[int, int], str] = {}
        self.uncalculated: set[tuple[int, int]] = set()
        self._shared: dict[str, str] = {}

    def parse(self):
        """openpyxl's parse() reduced to what the import reads (rows, column widths and hidden columns,
        merged cells); anything else is dropped as it ends instead of being built into objects."""
        for _, element in iterparse(self.source):
            tag = element.tag
            if tag == ROW_TAG:
                row = self.parse_row(element)
                element.clear()
                yield row
            elif tag == COL_TAG:
                self.parse_column_dimensions(element)
                element.clear()
            elif tag == MERGE_TAG:
                self.merged_cells = MergeCells.from_tree(element)
                element.clear()
            elif tag not in _CELL_PARTS:
                element.clear()

    def parse_row(self, element):
        number, cells = super().parse_row(element)
        self.budget.row(self.title, number)
        return number, cells

    def parse_cell(self, element):
        self.budget.cells_in(self.title, self.row_counter, 1)
        if element.get("t") == "inlineStr" and (child := element.find(INLINE_STRING)) is not None:
            # openpyxl builds a Text object per inline string; reading the text directly is several times faster
            if coordinate := element.get("r"):
                row, self.col_counter = coordinate_to_tuple(coordinate)
            else:
                row, self.col_counter = self.row_counter, self.col_counter + 1
            return {"row": row, "column": self.col_counter, "value": _text_of(child), "data_type": "s"}
        cell = super().parse_cell(element)
        value = cell["value"]
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and (places := self.decimals(cell["style_id"])):
            cell["value"] = f"{value:.{places}f}"  # as Excel shows it
        formula = element.find(FORMULA_TAG)
        if formula is not None:
            text = formula.text or ""
            if formula.get("t") == "shared" and (index := formula.get("si")) is not None:
                text = self._shared.setdefault(index, text) if text else self._shared.get(index, "")
            self.formula_cells[(cell["row"], cell["column"])] = text
            saved = element.find(VALUE_TAG)
            if saved is None or (not saved.text and element.get("t") != "str"):
                self.uncalculated.add((cell["row"], cell["column"]))
        return cell


@dataclass
class Grid:
    """The hazard sheet's cells (non-empty only) and what Excel shows about them."""

    sheet: str
    header_row: int
    header: dict[int, str]  # column → header text
    above: dict[int, dict[int, object]]  # row → column → value, rows above the header (titles, the group row)
    groups: dict[int, str]  # column → group (layout.INITIAL, …) from the row above the headers
    rows: dict[int, dict[int, object]]  # row → column → value, rows below the header
    formulas: dict[tuple[int, int], str]  # cell → its formula (without "=")
    uncalculated: set[tuple[int, int]]
    errors: set[tuple[int, int]]
    unstorable: dict[tuple[int, int], str]  # cell → what it holds that cannot be stored (its text has it removed)
    merged: list[str]
    hidden_rows: set[int]
    hidden_columns: set[int]
    messages: list[Message]


def _hazard_grid(book: _Book, max_hazards: int) -> Grid:
    candidates = [title for title in book.sheets if "hazard log" in normalise_label(title)]
    if not candidates:
        names = ", ".join(f"'{title}'" for title in book.sheets)
        raise UploadRefused(
            f"The workbook has no hazard log sheet: no sheet name contains 'Hazard Log' (its sheets are {names}). "
            "Rename the sheet that holds the hazards, e.g. 'Hazard Log'."
        )
    # A visible sheet is read before a hidden one: a hidden copy is not what the CSO sees in Excel.
    candidates.sort(key=lambda title: title in book.hidden)
    grid = None
    for title in candidates:
        grid = _read_grid(book, title, max_hazards)
        if grid is not None:
            break
    if grid is not None and grid.sheet in book.hidden:
        raise UploadRefused(
            f"The only hazard log sheet, '{grid.sheet}', is hidden in Excel, so it may not be the log you see. "
            "If it is, unhide it (right-click a sheet tab › Unhide), save, and upload the workbook again.",
            grid.sheet,
        )
    if grid is None:
        names = ", ".join(f"'{title}'" for title in candidates)
        raise UploadRefused(
            f"No hazard log headers were found in the first {HEADER_SEARCH_ROWS} rows of {names}: a header row "
            "needs at least 'Hazard Number' (or 'Num') and 'Hazard Name'. Check the sheet and its header row."
        )
    others = [
        f"'{title}'{' (hidden in Excel)' if title in book.hidden else ''}"
        for title in candidates[candidates.index(title) + 1 :]
        if _has_header(book, title)
    ]
    if others:
        also = "also looks like a hazard log" if len(others) == 1 else "also look like hazard logs"
        message = f"Only this sheet was imported; {', '.join(others)} {also}."
        grid.messages.append(Message("warning", message, grid.sheet))
    return grid


def _values(parser, errors: set, bad: dict):
    """(row number, {column: value}) for each row in the XML; cells showing an error are added to `errors`,
    cells holding what the database cannot store to `bad` (and read without it)."""
    for number, cells in parser.parse():
        values = {}
        for cell in cells:
            if (value := cell["value"]) is not None:
                if isinstance(value, str) and "_x" in value:
                    # Excel's _xHHHH_ escapes (characters XML cannot hold), which openpyxl leaves encoded.
                    value = from_cell(value)
                    if what := unstorable(value):
                        bad[(number, cell["column"])] = what
                        value = UNSTORABLE.sub("", value)
                values[cell["column"]] = value
                if cell["data_type"] == "e":
                    errors.add((number, cell["column"]))
        yield number, values


def _header_keys(row: dict[int, object]) -> dict[int, str]:
    return {col: key for col, value in row.items() if isinstance(value, str) and (key := layout.header_key(value))}


def _header(rows):
    """(row number, header row, the row just above it, all rows above it) from the first rows of `rows`,
    or None."""
    above, previous, earlier = {}, None, {}
    for seen, (number, values) in enumerate(rows, start=1):
        keys = _header_keys(values).values()
        if "reference" in keys and "name" in keys:
            return number, values, above if previous == number - 1 else {}, earlier
        if seen >= HEADER_SEARCH_ROWS:
            return None
        above, previous = values, number
        if values:
            earlier[number] = values
    return None


def _has_header(book: _Book, title: str) -> bool:
    with book.parser(title) as parser:
        return _header(_values(parser, set(), {})) is not None


def _read_grid(book: _Book, title: str, max_hazards: int) -> Grid | None:
    """Stream one sheet into a grid, or None if it has no header row."""
    errors: set[tuple[int, int]] = set()
    bad: dict[tuple[int, int], str] = {}
    with book.parser(title) as parser:
        rows = _values(parser, errors, bad)
        found = _header(rows)
        if found is None:
            return None
        header_row, header, above, earlier = found
        reference_column = next(col for col, key in _header_keys(header).items() if key == "reference")
        data: dict[int, dict[int, object]] = {}
        references: set[str] = set()
        for number, values in rows:
            if not values:
                continue
            data[number] = values
            reference = str(values.get(reference_column) or "").strip().casefold()
            if reference and reference not in references:
                references.add(reference)
                if len(references) > max_hazards:
                    raise UploadRefused(
                        f"The sheet '{title}' has more than {max_hazards:,} hazards, the most one import accepts. "
                        "Split the log, or ask an administrator to raise the limit.",
                        title,
                        number,
                        get_column_letter(reference_column),
                    )
    merged = [m.bounds for m in (parser.merged_cells.mergeCell if parser.merged_cells else [])]
    covered = sum(
        (right - left + 1) * (bottom - max(top, header_row + 1) + 1)
        for left, top, right, bottom in merged
        if bottom > header_row
    )
    book.budget.cells_in(title, header_row, covered)  # the reader fills every cell a merged range covers
    hidden_columns = set()
    for attrs in parser.column_dimensions.values():
        if attrs.get("hidden") in ("1", "true"):
            first = int(attrs["min"])
            hidden_columns.update(range(first, min(int(attrs.get("max", first)), MAX_COLUMN) + 1))
    return Grid(
        sheet=title,
        header_row=header_row,
        header={col: value if isinstance(value, str) else str(value) for col, value in header.items()},
        above=earlier,
        groups=_groups(above),
        rows=data,
        formulas={cell: text for cell, text in parser.formula_cells.items() if cell[0] > header_row},
        uncalculated={cell for cell in parser.uncalculated if cell[0] > header_row},
        errors={cell for cell in errors if cell[0] > header_row},
        unstorable=bad,
        merged=[str(m.ref) for m in (parser.merged_cells.mergeCell if parser.merged_cells else [])],
        hidden_rows={int(r) for r, attrs in parser.row_dimensions.items() if attrs.get("hidden") in ("1", "true")},
        hidden_columns=hidden_columns,
        messages=[],
    )


COVER_LABELS = {normalise_label(label): key for label, key in layout.COVER_FIELDS} | {
    normalise_label(layout.COVER_EXTRA_LABELS["clinical_safety_officer"]): "clinical_safety_officer"
}
COVER_SEARCH = (40, 10)  # rows, columns of the Cover Page searched for labels


def cover_offset(key: str) -> tuple[int, int]:
    """Where a cover value sits relative to its label (beside it, or below it), as in the template."""
    label, value = (coordinate_to_tuple(cell) for cell in layout.COVER_CELLS[key])
    return value[0] - label[0], value[1] - label[1]


@dataclass
class SheetCells:
    """A sheet other than the hazard sheet: its non-empty cells and what Excel shows about them."""

    title: str
    cells: dict[tuple[int, int], object]  # (row, column) → value
    formulas: set[tuple[int, int]]
    errors: set[tuple[int, int]]
    unstorable: dict[tuple[int, int], str]
    hidden: bool


def _sheet_cells(book: _Book, title: str) -> SheetCells:
    cells, errors, bad = {}, set(), {}
    with book.parser(title) as parser:
        for number, values in _values(parser, errors, bad):
            cells.update({(number, col): value for col, value in values.items()})
        formulas = set(parser.formula_cells)
    return SheetCells(title, cells, formulas, errors, bad, title in book.hidden)


def _cover_values(sheets: list[SheetCells]):
    """(sheet title, {field: (value cell, raw value, what cannot be stored, is a formula)}) for the cover
    labels found on the Cover Page, or None."""
    sheet = next((sheet for sheet in sheets if "cover" in normalise_label(sheet.title)), None)
    if sheet is None:
        return None
    rows, columns = COVER_SEARCH
    found = {}
    for (r, c), value in sorted(sheet.cells.items()):
        if r > rows or c > columns or not isinstance(value, str):
            continue
        key = COVER_LABELS.get(normalise_label(value).rstrip(":").strip())
        if key and key not in found:
            dr, dc = cover_offset(key)
            cell = (r + dr, c + dc)
            found[key] = (
                f"{get_column_letter(cell[1])}{cell[0]}",
                sheet.cells.get(cell),
                sheet.unstorable.get(cell, ""),
                cell in sheet.formulas,
            )
    return sheet.title, found


def _groups(group_row: dict[int, object]) -> dict[int, str]:
    """Column → group, carried right from each group cell (a merged group cell names only its first column).
    A row naming fewer than two groups is a title, not a group row."""
    named = {col: group for col, value in group_row.items() if (group := layout.group_of(value))}
    if len(set(named.values())) < 2:
        return {}
    groups = {}
    current = None
    for col in range(1, min(max(named, default=0) + 64, MAX_COLUMN)):
        current = named.get(col, current)
        if current:
            groups[col] = current
    return groups
