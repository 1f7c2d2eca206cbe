"""Formulas beside saved results: a workbook's rating cells carry the template's formula, so that they follow
an edit of severity or likelihood in Excel, and also the number, for readers without a calculation engine
(openpyxl's `data_only`, pandas, viewers, our own import).

openpyxl writes a formula with an empty `<v>` and has no way to give it a value. So the cells are written
by openpyxl as plain numbers (an empty rating as an empty cell), and each is given its formula here: one
shared formula per column (Excel's own way to store a formula repeated down a column, relative references
moving with the row), written on its first cell and referred to by the others. In write-only mode each sheet
is streamed to a temporary file that `Workbook.save` copies into the zip once the sheet is closed, so the
sheet is closed here, its XML rewritten and the file put back where openpyxl will read it: nothing is
recompressed.
"""

import os
import re
import tempfile
from dataclasses import dataclass

from openpyxl.utils import column_index_from_string

# A cell of the given columns as openpyxl writes it: <c r="I3" s="7" t="n"><v>3</v></c>, or <c r="I4" s="7"/>
# when empty. Only the formulas' columns are matched, so the other cells cost no call into Python.
_CELL = rb'<c r="(%s)([0-9]+)"([^>]*?)(?:/>|>(?:<v>([^<]*)</v>)?</c>)'
_TYPE = re.compile(rb'\s+t="[^"]*"')
_ROW_END = b"</row>"
CHUNK = 1 << 20


@dataclass(frozen=True)
class SharedFormula:
    """The formula of `column` from `first` to `last` row, as written for the first row (without "=")."""

    column: str
    first: int
    last: int
    formula: str


def close_with_formulas(ws, formulas: list[SharedFormula]) -> None:
    """Close the write-only sheet `ws` (nothing can be appended after) and give each cell of each formula's
    range that formula, keeping the cell's number as its saved result (an empty cell: an empty text)."""
    ws.close()
    path = ws._writer.out
    by_column = {f.column.encode(): (index, f) for index, f in enumerate(formulas)}
    for f in formulas:
        column_index_from_string(f.column)  # a valid column, or ValueError
    if not formulas:
        return
    cells = re.compile(_CELL % b"|".join(by_column))

    def cell(match: re.Match) -> bytes:
        column, row, attributes, value = match.groups()
        found = by_column.get(column)
        if found is None or not found[1].first <= int(row) <= found[1].last:
            return match.group()
        index, shared = found
        attributes = _TYPE.sub(b"", attributes)
        if int(row) == shared.first:
            ref = f"{shared.column}{shared.first}:{shared.column}{shared.last}".encode()
            formula = b'<f t="shared" ref="%s" si="%d">%s</f>' % (ref, index, _escape(shared.formula))
        else:
            formula = b'<f t="shared" si="%d"/>' % index
        if value is None:  # no rating: Excel saves the formula's empty text result with t="str"
            return b'<c r="%s%s"%s t="str">%s<v></v></c>' % (column, row, attributes, formula)
        return b'<c r="%s%s"%s>%s<v>%s</v></c>' % (column, row, attributes, formula, value)

    folder = os.path.dirname(path) or None
    with open(path, "rb") as source, tempfile.NamedTemporaryFile("wb", dir=folder, delete=False) as target:
        pending = b""
        while block := source.read(CHUNK):
            pending += block
            end = pending.rfind(_ROW_END)  # a cell never spans the end of a row
            if end >= 0:
                end += len(_ROW_END)
                target.write(cells.sub(cell, pending[:end]))
                pending = pending[end:]
        target.write(cells.sub(cell, pending))
    os.replace(target.name, path)


def _escape(formula: str) -> bytes:
    return formula.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()
