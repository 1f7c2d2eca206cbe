"""Numbered cells of the NHS template: `1) …` lines in Possible Causes and the control columns.

The template numbers controls *by the cause they answer*: line `2) …` in Existing Controls answers
cause 2. A control answering several causes is written once under each number; a control that answers
no cause is written as a bullet `• …` (a cell holding just one such control, or just cause 1, is written
as its bare text when it can be read back so). Text may span lines: a line that does not start an item belongs
to the item above. So that any text comes back exactly, a continuation line that would look like the
start of an item (or that starts with a backslash) is written with one extra leading backslash.
Lines end at LF only: a CR (a browser's CRLF, stored in the cell as `_x000D_`) is part of the text.
"""

import re

BULLET = "•"
_ITEM = re.compile(r"^\s*(\d{1,4})\s*[).]\s?")
_BULLET = re.compile(r"^\s*[•·\-\*]\s?")
_LOOKS_LIKE_START = re.compile(r"^\s*(\d{1,4}\s*[).]|[•·\-\*\\])")
NO_ENTRY = {"none", "n/a", "na", "nil", "-", "not applicable", "none identified", "none currently"}


def format_items(items: list[tuple[int | None, str]], alone: int | None = None) -> str:
    """[(cause number or None, text)] → the cell's text.

    A cell of one item numbered `alone` (None: an item without a number) is its bare text, as a CSO would
    write it, where none of its lines could start an item: `parse_items` reads such a cell back as that
    one item, and the reader takes a bare Possible Causes cell for cause 1.
    """
    if len(items) == 1 and items[0][0] == alone and not any(map(_LOOKS_LIKE_START.match, items[0][1].split("\n"))):
        return items[0][1]
    lines = []
    for number, text in items:
        first, *rest = text.split("\n")
        lines.append(f"{number}) {first}" if number is not None else f"{BULLET} {first}")
        lines.extend("\\" + line if _LOOKS_LIKE_START.match(line) else line for line in rest)
    return "\n".join(lines)


def parse_items(cell: str | None) -> list[tuple[int | None, str]]:
    """The cell's text → [(number or None, text)]. Text before any number is one unnumbered item.

    Entries that say there is nothing ("None", "N/A", …) are left out.
    """
    if cell is None or str(cell).strip() == "":
        return []
    items: list[list] = []
    for line in str(cell).split("\n"):
        numbered = _ITEM.match(line)
        bulleted = None if numbered else _BULLET.match(line)
        if numbered:
            items.append([int(numbered.group(1)), line[numbered.end() :]])
        elif bulleted and (not items or line.lstrip()[:1] == BULLET):
            items.append([None, line[bulleted.end() :]])
        elif items:
            items[-1][1] += "\n" + (line[1:] if line.startswith("\\") else line)
        else:
            items.append([None, line])
    return [(number, text) for number, text in items if not is_no_entry(text)]


def is_no_entry(text: str) -> bool:
    return " ".join(text.split()).casefold().rstrip(".") in NO_ENTRY
