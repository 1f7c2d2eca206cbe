"""The cells of an uploaded workbook: its hazard sheet as a grid, and the labelled cells of its Cover Page.

The workbook is opened as openpyxl's read-only mode opens it, and each sheet streamed by openpyxl's own
parser (the one read-only mode uses), subclassed to note which cells are formulas: read-only mode with
`data_only` gives a formula's saved result but forgets it was a formula, and cannot see merged cells or
hidden rows. The parser reads every row in the XML whatever the sheet's <dimension> says, so an
understated dimension loses nothing. XML is parsed by defusedxml, as openpyxl does when it is installed.
"""

import io
from contextlib import contextmanager
from dataclasses import dataclass

import openpyxl
from defusedxml import DefusedXmlException
from django.core.exceptions import ImproperlyConfigured
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import coordinate_to_tuple, get_column_letter
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

from hazardlog.text import normalise_label
from hazardlog.workbook import layout
from hazardlog.workbook.celltext import from_cell
from hazardlog.workbook.guard import Message, UploadRefused

if not openpyxl.DEFUSEDXML:
    raise ImproperlyConfigured("defusedxml must be installed (and OPENPYXL_DEFUSEDXML not False) to read uploads.")

HEADER_SEARCH_ROWS = 10


def read_cells(content: bytes, max_hazards: int):
    """(the hazard sheet's Grid, the Cover Page's labelled cells or None). Raises UploadRefused when there
    is no hazard sheet, too many hazards, or XML that is unsafe or unreadable."""
    try:
        book = _Book(content)
        try:
            return _hazard_grid(book, max_hazards), _cover_values(book)
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


class _Book:
    """A workbook opened as openpyxl's read-only mode opens it (its ExcelReader, shared strings, date
    styles), without building its read-only worksheets: each of those first scans its whole sheet for a
    <dimension> element, which openpyxl's write-only mode (our own exports) never writes, so a sheet
    would be parsed twice. Sheets are streamed on demand instead."""

    def __init__(self, content: bytes):
        self.reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
        self.reader.read_manifest()
        self.reader.read_strings()
        self.reader.read_workbook()
        apply_stylesheet(self.reader.archive, self.reader.wb)  # which number formats are dates
        self.sheets = {
            sheet.name: rel.target
            for sheet, rel in self.reader.parser.find_sheets()
            if rel.target in self.reader.valid_files and "chartsheet" not in rel.Type
        }

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
            )

    def close(self) -> None:
        self.reader.archive.close()


class _FormulaAwareParser(WorkSheetParser):
    """openpyxl's streaming sheet parser, also noting which cells hold a formula, and which formulas
    were never calculated: no saved result, or an empty one that is not text (Excel saves an empty
    text result as t="str"; tools that cannot calculate, openpyxl among them, save an empty <v/>)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.formula_cells: set[tuple[int, int]] = set()
        self.uncalculated: set[tuple[int, int]] = set()

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if element.find(FORMULA_TAG) is not None:
            self.formula_cells.add((cell["row"], cell["column"]))
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
    groups: dict[int, str]  # column → group (layout.INITIAL, …) from the row above the headers
    rows: dict[int, dict[int, object]]  # row → column → value, rows below the header
    formulas: set[tuple[int, int]]
    uncalculated: set[tuple[int, int]]
    errors: set[tuple[int, int]]
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
    grid = None
    for title in candidates:
        grid = _read_grid(book, title, max_hazards)
        if grid is not None:
            break
    if grid is None:
        names = ", ".join(f"'{title}'" for title in candidates)
        raise UploadRefused(
            f"No hazard log headers were found in the first {HEADER_SEARCH_ROWS} rows of {names}: a header row "
            "needs at least 'Hazard Number' (or 'Num') and 'Hazard Name'. Check the sheet and its header row."
        )
    others = [f"'{title}'" for title in candidates[candidates.index(title) + 1 :] if _has_header(book, title)]
    if others:
        also = "also looks like a hazard log" if len(others) == 1 else "also look like hazard logs"
        message = f"Only this sheet was imported; {', '.join(others)} {also}."
        grid.messages.append(Message("warning", message, grid.sheet))
    return grid


def _values(parser, errors: set):
    """(row number, {column: value}) for each row in the XML; cells showing an error are added to `errors`."""
    for number, cells in parser.parse():
        values = {}
        for cell in cells:
            if (value := cell["value"]) is not None:
                # Excel's _xHHHH_ escapes (characters XML cannot hold), which openpyxl leaves encoded.
                values[cell["column"]] = from_cell(value) if isinstance(value, str) and "_x" in value else value
                if cell["data_type"] == "e":
                    errors.add((number, cell["column"]))
        yield number, values


def _header_keys(row: dict[int, object]) -> dict[int, str]:
    return {col: key for col, value in row.items() if isinstance(value, str) and (key := layout.header_key(value))}


def _header(rows):
    """(row number, header row, the row just above it) from the first rows of `rows`, or None."""
    above, previous = {}, None
    for seen, (number, values) in enumerate(rows, start=1):
        keys = _header_keys(values).values()
        if "reference" in keys and "name" in keys:
            return number, values, above if previous == number - 1 else {}
        if seen >= HEADER_SEARCH_ROWS:
            return None
        above, previous = values, number
    return None


def _has_header(book: _Book, title: str) -> bool:
    with book.parser(title) as parser:
        return _header(_values(parser, set())) is not None


def _read_grid(book: _Book, title: str, max_hazards: int) -> Grid | None:
    """Stream one sheet into a grid, or None if it has no header row."""
    errors: set[tuple[int, int]] = set()
    with book.parser(title) as parser:
        rows = _values(parser, errors)
        found = _header(rows)
        if found is None:
            return None
        header_row, header, above = found
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
    hidden_columns = set()
    for attrs in parser.column_dimensions.values():
        if attrs.get("hidden") in ("1", "true"):
            hidden_columns.update(range(int(attrs["min"]), int(attrs.get("max", attrs["min"])) + 1))
    return Grid(
        sheet=title,
        header_row=header_row,
        header={col: value for col, value in header.items() if isinstance(value, str)},
        groups=_groups(above),
        rows=data,
        formulas={cell for cell in parser.formula_cells if cell[0] > header_row},
        uncalculated={cell for cell in parser.uncalculated if cell[0] > header_row},
        errors={cell for cell in errors if cell[0] > header_row},
        merged=[str(m.ref) for m in (parser.merged_cells.mergeCell if parser.merged_cells else [])],
        hidden_rows={int(r) for r, attrs in parser.row_dimensions.items() if attrs.get("hidden") in ("1", "true")},
        hidden_columns=hidden_columns,
        messages=[],
    )


COVER_LABELS = {normalise_label(label): key for label, key in layout.COVER_FIELDS} | {
    normalise_label(layout.COVER_EXTRA_LABELS["clinical_safety_officer"]): "clinical_safety_officer"
}
COVER_SEARCH = (40, 10)  # rows, columns of the Cover Page searched for labels


def _offset(key: str) -> tuple[int, int]:
    """Where a cover value sits relative to its label (beside it, or below it), as in the template."""
    label, value = (coordinate_to_tuple(cell) for cell in layout.COVER_CELLS[key])
    return value[0] - label[0], value[1] - label[1]


def _cover_values(book: _Book):
    """(sheet title, {field: (value cell, raw value)}) for the cover labels found on the Cover Page, or None."""
    title = next((title for title in book.sheets if "cover" in normalise_label(title)), None)
    if title is None:
        return None
    rows, columns = COVER_SEARCH
    grid = {}
    with book.parser(title) as parser:
        for number, values in _values(parser, set()):
            if number > rows:
                break
            grid.update({(number, col): value for col, value in values.items() if col <= columns})
    found = {}
    for (r, c), value in sorted(grid.items()):
        key = COVER_LABELS.get(normalise_label(str(value)).rstrip(":").strip()) if isinstance(value, str) else None
        if key and key not in found:
            dr, dc = _offset(key)
            found[key] = (f"{get_column_letter(c + dc)}{r + dr}", grid.get((r + dr, c + dc)))
    return title, found


def _groups(group_row: dict[int, object]) -> dict[int, str]:
    """Column → group, carried right from each group cell (a merged group cell names only its first column).
    A row naming fewer than two groups is a title, not a group row."""
    named = {col: group for col, value in group_row.items() if (group := layout.group_of(value))}
    if len(set(named.values())) < 2:
        return {}
    groups = {}
    current = None
    for col in range(1, max(named, default=0) + 64):
        current = named.get(col, current)
        if current:
            groups[col] = current
    return groups
