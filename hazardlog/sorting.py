"""Natural order of hazard references: H2 before H10, EPMA-002 before EPMA-010."""

import re

_PARTS = re.compile(r"(\d+)")


def natural_key(reference: str) -> tuple:
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold()) for part in _PARTS.split(reference) if part
    )
