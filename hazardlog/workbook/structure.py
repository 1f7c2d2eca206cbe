"""The export's hidden sheet: where each item of a list cell starts, so that a workbook we wrote reads back
exactly while its visible cells carry nothing a CSO would not write (no escape before a line that looks
like `2) …`, no bullet before a control that answers no cause).

A list cell is items one after another, each on its own line(s): an item is a prefix (`2) `, `Control 3: `
or nothing) and a text that may itself span lines. For each hazard the sheet records, per list column,
each item's prefix, text length and what it is (cause number; control number, the cause it is listed
under and the control's type; …). Reading back, `cut` checks that the visible cell is still exactly those
items: if it is, the items are taken as written; if the CSO edited the cell in Excel it no longer agrees,
and the visible cell wins (read as any workbook is, and said so in the preview).

The sheet is "veryHidden" (Excel and LibreOffice show it in no menu) and holds no data of its own, only
this layout: row 1 says what it is and lists the columns of control additional columns; each row after
is a hazard number and its layout as JSON (split over cells of at most CHUNK characters).
"""

import json

SHEET = "Export structure"
TITLE = "Written by Hazard Log: where each item of the Hazard Log sheet's list cells starts. Do not edit."
CHUNK = 30_000  # characters of JSON per cell (a cell holds 32,767)

Items = list[list]  # [[prefix, length, *what], …]


def join(items: list[tuple[str, str, tuple]]) -> tuple[str, Items]:
    """[(prefix, text, what)] → (the cell's text, its items as recorded)."""
    text = "\n".join(prefix + body for prefix, body, _ in items)
    return text, [[prefix, len(body), *what] for prefix, body, what in items]


def cut(cell: str | None, items: Items) -> list[tuple[list, str]] | None:
    """The cell's text cut as `items` say: [(what, text)], or None if the cell no longer agrees with them."""
    cell = cell or ""
    if not isinstance(items, list) or not all(_item(item) for item in items):
        return None  # not the layout we write: the visible cell wins
    position, found = 0, []
    for index, (prefix, length, *what) in enumerate(items):
        if index:
            if cell[position : position + 1] != "\n":
                return None
            position += 1
        if not cell.startswith(prefix, position):
            return None
        position += len(prefix)
        text = cell[position : position + length]
        if len(text) != length:
            return None
        found.append((what, text))
        position += length
    return found if position == len(cell) else None


def _item(item) -> bool:
    """[prefix, length, *what] as `join` records it."""
    return (
        isinstance(item, list) and len(item) >= 2 and isinstance(item[0], str) and type(item[1]) is int and item[1] >= 0
    )


def rows(layouts: list[tuple[str, dict]], control_columns: list[list[str]]) -> list[list[str]]:
    """The sheet's rows: the title and the control additional columns ([header written, the controls'
    header]), then one row per hazard (its number, then its layout as JSON in chunks)."""
    made = [[TITLE, json.dumps({"control_columns": control_columns})]]
    for reference, layout in layouts:
        text = json.dumps(layout, separators=(",", ":"))
        made.append([reference, *(text[i : i + CHUNK] for i in range(0, len(text), CHUNK))])
    return made


def read(cells: dict[tuple[int, int], object]) -> tuple[dict[str, dict], dict[str, str]] | None:
    """(hazard number → layout, header written → header of a control additional column) from the sheet's
    cells, or None if the sheet is not one we wrote (or cannot be read)."""
    if cells.get((1, 1)) != TITLE:
        return None
    try:
        control_columns = json.loads(cells.get((1, 2)) or "{}").get("control_columns", [])
        by_row: dict[int, list] = {}
        for (r, _), value in sorted(cells.items()):
            if r > 1:
                by_row.setdefault(r, []).append(value)
        layouts = {}
        for values in by_row.values():
            reference, *chunks = values
            layout = json.loads("".join(map(str, chunks)))
            if isinstance(layout, dict):  # anything else is not ours: that hazard is read from its cells
                layouts[str(reference)] = layout
    except (ValueError, AttributeError, TypeError):  # not JSON, or not the JSON we write
        return None
    return layouts, {str(written): str(header) for written, header in control_columns}
