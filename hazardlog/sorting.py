"""Natural order of hazard references: H2 before H10, EPMA-002 before EPMA-010."""

import re

_PARTS = re.compile(r"(\d+)")
# Numbers are padded to this many digits in the stored sort text; longer numbers keep their digits.
SORT_DIGITS = 10


def natural_key(reference: str) -> tuple:
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold()) for part in _PARTS.split(reference) if part
    )


def sort_text(reference: str) -> str:
    """The natural order as text the database can sort on (stored as `Hazard.reference_sort`)."""
    return "".join(
        str(int(part)).zfill(SORT_DIGITS) if part.isdigit() else part.casefold()
        for part in _PARTS.split(reference)
        if part
    )
