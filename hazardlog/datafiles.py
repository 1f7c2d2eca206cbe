"""The data export's files: writing a dataset as .xlsx or CSV, and reading one back for the admin import.

Not tablib's readers and writers (pitfalls.md): tablib's xlsx writer turns text starting with "=" into a
formula and fails on control characters, its reader reads only the active sheet, trusts the sheet's stated
size and takes formulas' cached values. Here the xlsx holds every text as a text cell (`workbook.celltext`),
the CSV escapes cells as OWASP advises ("CSV injection"), reversibly, and both readers refuse what they
cannot read faithfully, naming the row and column.
"""

import csv
import io
import re
from dataclasses import dataclass

import openpyxl
import tablib
from django.conf import settings

from hazardlog.text import normalise_label
from hazardlog.workbook import guard
from hazardlog.workbook.celltext import from_cell
from hazardlog.workbook.grid import unstorable
from hazardlog.workbook.guard import UploadRefused, megabytes
from hazardlog.workbook.writer import write_table

SHEET_TITLE = "Hazard log data"


def cell_text(value) -> str:
    """A cell as trimmed text ("" for an empty one)."""
    return "" if value is None else str(value).strip()


_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r]")


def escape_csv_cell(value):
    """OWASP: a cell that starts with = + - @ TAB or CR gets a leading apostrophe, so a spreadsheet shows it
    as text instead of running it. Text that already starts with apostrophes before such a character gets
    one more, so `unescape_csv_cell` can always undo it exactly."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def unescape_csv_cell(value: str) -> str:
    return value[1:] if _QUOTED.match(value) else value


def csv_bytes(dataset) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads it as UTF-8), every cell quoted, formulas escaped."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(dataset.headers)
    for row in dataset:
        writer.writerow("" if value is None else escape_csv_cell(value) for value in row)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(dataset, widths: list[float] | None = None) -> bytes:
    widths = widths or [20] * len(dataset.headers)
    return write_table(SHEET_TITLE, dataset.headers, [list(row) for row in dataset], widths)


# Reading a data file back (the admin import) ------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """The columns a file may have (the export's headers) and those every file needs."""

    headers: tuple[str, ...]
    required: tuple[str, ...]


def _dataset(name: str, header: list, rows: list[list], allowed: Columns) -> tablib.Dataset:
    """The rows under the export's own headers (matched ignoring case and spacing). Refuses a file without
    the required columns, with an unknown or repeated header, or values under no header: a misspelt column
    would otherwise be ignored without a word."""
    known = {normalise_label(h): h for h in allowed.headers}
    columns, unknown, seen = [], [], set()
    for index, raw in enumerate(header):
        text = cell_text(raw)
        if not text:
            if any(index < len(row) and cell_text(row[index]) for row in rows):
                raise UploadRefused(f"{name}: column {_column_letter(index)} has values but no header in row 1.")
            columns.append(None)
            continue
        canonical = known.get(normalise_label(text))
        if canonical is None:
            unknown.append(f"“{text}”")
        elif canonical in seen:
            raise UploadRefused(f"{name}: the column “{canonical}” appears twice in row 1; keep one.")
        else:
            seen.add(canonical)
        columns.append(canonical)
    if unknown:
        what = "is not a column" if len(unknown) == 1 else "are not columns"
        raise UploadRefused(
            f"{name}: {', '.join(unknown)} in row 1 {what} of the data export. Correct the header or remove the "
            f"column; the columns are: {', '.join(allowed.headers)}."
        )
    missing = [h for h in allowed.required if h not in seen]
    if missing:
        raise UploadRefused(
            f"{name} has no {' or '.join(f'“{h}”' for h in missing)} column in row 1, which each row is matched "
            "by. Import the log's data export (xlsx or CSV) with its header row."
        )
    keep = [index for index, column in enumerate(columns) if column]
    dataset = tablib.Dataset(headers=[columns[index] for index in keep])
    for number, row in enumerate(rows, 2):
        extra = [index for index in range(len(columns), len(row)) if cell_text(row[index])]
        if extra:
            raise UploadRefused(
                f"{name}: row {number} has a value in column {_column_letter(extra[0])}, which has no header."
            )
        dataset.append([row[index] if index < len(row) else None for index in keep])
    return dataset


def _column_letter(index: int) -> str:
    return openpyxl.utils.get_column_letter(index + 1)


def _trim(rows: list[list]) -> list[list]:
    """Without the empty rows after the last row with a value (formatting often leaves some)."""
    while rows and not any(cell_text(value) for value in rows[-1]):
        rows.pop()
    return rows


def read_xlsx(content: bytes, name: str, columns: Columns) -> tablib.Dataset:
    """A data export .xlsx → dataset. Not tablib's reader (pitfalls.md): the upload goes through the
    workbook guard first (size, zip bomb, type); the sheet is ours by name, not the active one; its
    stated dimensions are ignored; a formula or error cell is refused rather than read as a cached value
    (which a hand-edited file can forge, or leave empty); text is decoded as it was written
    (`celltext`); the workbook is always closed."""
    guard.check_upload(name, content)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged file; the guard has passed it already
        raise UploadRefused(
            f"{name} could not be read as a workbook. Save it again from Excel and upload it."
        ) from None
    try:
        sheets = workbook.sheetnames
        if SHEET_TITLE in sheets:
            sheet = workbook[SHEET_TITLE]
        elif len(workbook.worksheets) == 1:
            sheet = workbook.worksheets[0]
        else:
            raise UploadRefused(
                f"{name} has the sheets {', '.join(sheets)} but none called “{SHEET_TITLE}”. Import the data "
                "export, or keep only the sheet with the data."
            )
        sheet.reset_dimensions()
        rows, cells_read = [], 0
        for number, cells in enumerate(sheet.iter_rows(), 1):
            cells_read += len(cells)
            if number > settings.HAZARDLOG_MAX_ROWS or cells_read > settings.HAZARDLOG_MAX_CELLS:
                raise UploadRefused(
                    f"{name} has more than {settings.HAZARDLOG_MAX_ROWS:,} rows or {settings.HAZARDLOG_MAX_CELLS:,} "
                    f"cells (the limit was passed at row {number:,}), more than one import reads. Delete the empty "
                    "rows and columns after the data, or split the file."
                )
            rows.append([_xlsx_value(cell, number) for cell in cells])
    except UploadRefused:
        raise
    except Exception:
        raise UploadRefused(f"{name} is damaged: its sheet could not be read. Save it again from Excel.") from None
    finally:
        workbook.close()
    rows = _trim(rows)
    if not rows:
        raise UploadRefused(f"{name} is empty: the sheet has no header row.")
    return _dataset(name, rows[0], rows[1:], columns)


def _xlsx_value(cell, row: int):
    if cell.data_type == "f":
        raise UploadRefused(
            f"Row {row}, column {cell.column_letter}: the cell holds a formula ({cell.value}). Formulas are not "
            "imported: type the value itself (to import text starting with “=”, format the cell as Text first)."
        )
    if cell.data_type == "e":
        raise UploadRefused(f"Row {row}, column {cell.column_letter}: the cell holds the Excel error {cell.value}.")
    value = from_cell(cell.value)
    if isinstance(value, str) and (what := unstorable(value)):
        raise UploadRefused(
            f"Row {row}, column {cell.column_letter}: the cell holds {what}, which cannot be stored. Delete it in "
            "Excel (it is often pasted in from another program) and upload the file again."
        )
    return value


def read_csv(content, name: str, columns: Columns) -> tablib.Dataset:
    """A data export .csv → dataset: UTF-8 (with or without a byte order mark), every cell unescaped as
    `escape_csv_cell` escaped it, so formula-like text comes back exactly."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    limit = settings.HAZARDLOG_MAX_UPLOAD_BYTES
    if len(content) > limit:
        raise UploadRefused(f"{name} is {megabytes(len(content))}; the largest file accepted is {megabytes(limit)}.")
    if content.startswith((guard.ZIP_MAGIC, guard.OLE2_MAGIC)):
        raise UploadRefused(f"{name} is an Excel workbook, not a CSV file: choose the format xlsx.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UploadRefused(
            f"{name} is not UTF-8 text (byte {error.start + 1} cannot be read). In Excel choose File › Save As › "
            "CSV UTF-8, or import the .xlsx export instead."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows, cells_read = [], 0
        for row in reader:
            cells_read += len(row)
            if reader.line_num > settings.HAZARDLOG_MAX_ROWS or cells_read > settings.HAZARDLOG_MAX_CELLS:
                raise UploadRefused(
                    f"{name} has more than {settings.HAZARDLOG_MAX_ROWS:,} lines or {settings.HAZARDLOG_MAX_CELLS:,} "
                    f"cells (the limit was passed at line {reader.line_num:,}), more than one import reads."
                )
            rows.append([unescape_csv_cell(value) for value in row])
    except csv.Error as error:
        raise UploadRefused(f"{name}: line {reader.line_num} cannot be read as CSV ({error}).") from None
    rows = _trim(rows)
    if not rows:
        raise UploadRefused(f"{name} is empty: it has no header row.")
    return _dataset(name, rows[0], rows[1:], columns)
