"""Normalisation of text that identifies things: hazard references and category labels.

One home for these rules; forms, models and the workbook reader all call them.
"""

import unicodedata
from functools import lru_cache

from django.core.exceptions import ValidationError

REFERENCE_MAX_LENGTH = 50
# Excel's limit for one cell; longer text is refused when saved, never truncated on export.
CELL_MAX_CHARS = 32_767


def normalise_label(text) -> str:
    """Category text as compared: 'Very High ', 'very  high' and 'Very high' are equal."""
    text = str(text)
    # A workbook repeats a handful of short labels tens of thousands of times: remember those.
    return _normalised_short_label(text) if len(text) <= 100 else _normalise_label(text)


def _normalise_label(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


_normalised_short_label = lru_cache(maxsize=4096)(_normalise_label)


def _script(char: str) -> str:
    """The script of a letter, from its Unicode name ('LATIN', 'CYRILLIC', 'GREEK', …)."""
    try:
        return unicodedata.name(char).split(" ")[0]
    except ValueError:
        return "UNKNOWN"


def normalise_reference(raw: str) -> str:
    """A hazard reference as stored: trimmed, NFC. Raises ValidationError for text that could
    make two references look the same while differing (invisible, lookalike, mixed-script or non-Latin
    characters).
    """
    text = unicodedata.normalize("NFC", str(raw)).strip()
    if not text:
        raise ValidationError("Enter a hazard reference.", code="required")
    if len(text) > REFERENCE_MAX_LENGTH:
        raise ValidationError(
            f"A hazard reference can be at most {REFERENCE_MAX_LENGTH} characters.", code="max_length"
        )
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Co", "Cn", "Zl", "Zp") or (category == "Zs" and char != " "):
            raise ValidationError(
                f"The hazard reference contains an invisible character (U+{ord(char):04X}); type it again.",
                code="invisible",
            )
    if unicodedata.normalize("NFKC", text) != text:
        raise ValidationError(
            "The hazard reference contains a lookalike character (for example a full-width letter or a "
            "ligature); use plain letters and digits.",
            code="lookalike",
        )
    scripts = {_script(c) for c in text if c.isalpha()}
    if len(scripts) > 1:
        raise ValidationError(
            "The hazard reference mixes letters from different alphabets ("
            + ", ".join(sorted(s.title() for s in scripts))
            + "), which can look identical; use one alphabet.",
            code="mixed_script",
        )
    # A reference wholly in another alphabet would pass for a Latin one in the same log (Cyrillic Н1 and H1).
    if scripts - {"LATIN"}:
        raise ValidationError(
            f"The hazard reference uses {scripts.pop().title()} letters, which can look identical to Latin "
            "ones; use Latin letters.",
            code="non_latin",
        )
    return text


def reference_key(reference: str) -> str:
    """The form in which references are compared for uniqueness (case-insensitive)."""
    return unicodedata.normalize("NFC", reference.strip()).casefold()
