"""Numbered cells of the NHS template: `1) …` lines in Possible Causes and the control columns.

The template numbers controls *by the cause they answer*: line `2) …` in Existing Controls answers
cause 2. A control answering several causes is written once under each number; a control that answers
no cause is written as its bare text, before the numbered ones (and a cell holding just cause 1 is its
bare text), as a CSO would write them. Text may span lines: a line that does not start an item belongs
to the item above. Nothing is added to the text: where that leaves a cell ambiguous (a line of a text that
looks like the start of an item), the export's hidden sheet (`structure`) says where each item starts.
Lines end at LF only: a CR (a browser's CRLF, stored in the cell as `_x000D_`) is part of the text.
"""

import re

BULLET = "•"
_ITEM = re.compile(r"^\s*(\d{1,4})\s*[).]\s?")
_BULLET = re.compile(r"^\s*[•·\-\*]\s?")
NO_ENTRY = {"none", "n/a", "na", "nil", "-", "not applicable", "none identified", "none currently"}


def could_start_item(text: str) -> bool:
    """Whether `parse_items` could take any line of `text` for the start of an item (a number or a bullet)."""
    return _ANY_START.search(text) is not None


_ANY_START = re.compile(r"^[^\S\n]*(?:\d{1,4}\s*[).]|[•·\-\*])", re.MULTILINE)


def prefixes(items: list[tuple[int | None, str]], alone: int | None = None) -> list[str]:
    """What is written before each item's text: `n) ` for a number, nothing for an item without one, and
    nothing for the only item of a cell when it is numbered `alone` (Possible Causes' cause 1)."""
    if len(items) == 1 and items[0][0] == alone:
        return [""]
    return ["" if number is None else f"{number}) " for number, _ in items]


def format_items(items: list[tuple[int | None, str]], alone: int | None = None) -> str:
    """[(cause number or None, text)] → the cell's text: one item after another, each on its own line(s)."""
    return "\n".join(prefix + text for prefix, (_, text) in zip(prefixes(items, alone), items, strict=True))


def parse_items(cell: str | None) -> list[tuple[int | None, str]]:
    """The cell's text → [(number or None, text)]. Text before any number is one unnumbered item.

    Entries that say there is nothing ("None", "N/A", …) are left out (`no_entries` lists them).
    """
    return [(number, text) for number, text in _items(cell) if not is_no_entry(text)]


def no_entries(cell: str | None) -> list[tuple[int | None, str]]:
    """The cell's entries that say there is nothing, as written ("2) None" → (2, "None"))."""
    return [(number, text.strip()) for number, text in _items(cell) if is_no_entry(text)]


def _items(cell: str | None) -> list[tuple[int | None, str]]:
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
    return [(number, text) for number, text in items]


def is_no_entry(text: str) -> bool:
    """Whether the text says there is nothing ("None", "n/a.", "Not  applicable"): its words, case and trailing
    dots aside, are one of NO_ENTRY. None has more than two words, so a longer text is not split in full (an
    import asks this of every item of every list cell)."""
    words = text.split(None, 2)
    return len(words) <= 2 and " ".join(words).casefold().rstrip(".") in NO_ENTRY
