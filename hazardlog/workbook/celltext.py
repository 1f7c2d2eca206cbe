"""Text in a workbook cell, both ways, so that any text comes back exactly.

XML cannot hold most control characters (openpyxl refuses them), turns CR into LF when read, and has no
place for U+FFFE, U+FFFF or lone surrogates. Excel writes such characters as `_xHHHH_` and escapes
the underscore of a literal `_xHHHH_` as `_x005F_`; we do the same. openpyxl does not decode these
escapes when reading, so every text cell read from a workbook goes through `from_cell`.
"""

import re

from openpyxl.utils.escape import unescape

# Text that Excel would take for a formula (or a DDE payload) when the cell is edited.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_NOT_XML = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\r\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def to_cell(text: str) -> str:
    """The text as stored in the cell: characters XML cannot hold written as `_xHHHH_`."""
    return _NOT_XML.sub(_escaped, text)


def _escaped(match: re.Match) -> str:
    return f"_x{ord(match.group()):04X}_"


def from_cell(value):
    """A value read with openpyxl → our text (non-text values are returned unchanged)."""
    return unescape(value) if isinstance(value, str) else value


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)
