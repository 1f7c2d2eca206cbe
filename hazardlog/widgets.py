"""The NHS.UK date input: three boxes (day, month, year) and a form field that names itself in its messages.

Use `NHSDateField` for every date a person types (in a ModelForm: `Meta.field_classes = {"review_date":
NHSDateField}`); the `nhsuk` crispy pack renders it as an NHS.UK date input inside a fieldset.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name

# The order of the boxes, their labels and widths (NHS.UK: 2 characters for day and month, 4 for year).
DATE_PARTS = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))
DIGITS = re.compile(r"[0-9]{1,4}")  # ASCII only: str.isdigit() also accepts "²", which int() rejects


class NHSDateWidget(forms.MultiWidget):
    """Day, month and year text boxes; posts `<name>_day`, `<name>_month`, `<name>_year`."""

    def __init__(self, attrs=None):
        widgets = {name: forms.TextInput(attrs={"inputmode": "numeric"}) for name, _, _ in DATE_PARTS}
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _lower_first(label: str) -> str:
    # "Review date" -> "review date", but "NHS number" stays as it is.
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


class NHSDateField(forms.Field):
    """A date typed into an `NHSDateWidget`; every message names the field, e.g. "Review date must be a real date".

    A message about missing boxes carries `params["parts"]` so the template highlights only those boxes.
    """

    widget = NHSDateWidget
    message_label = "Date"

    def get_bound_field(self, form, field_name):
        # The field learns the label it is shown with only here; fields are copied per form, so this is safe.
        self.message_label = str(self.label or pretty_name(field_name))
        if self.error_messages["required"] == forms.Field.default_error_messages["required"]:
            self.error_messages["required"] = f"Enter {_lower_first(self.message_label)}"
        return super().get_bound_field(form, field_name)

    def _error(self, message: str, code: str, parts=("day", "month", "year")) -> ValidationError:
        # Escape % so a label such as "% complete" survives Django's `message % params`.
        return ValidationError(message.replace("%", "%%"), code=code, params={"parts": tuple(parts)})

    def to_python(self, value):
        if isinstance(value, datetime.date):
            return value
        if not isinstance(value, (list, tuple)):
            value = [None, None, None]
        texts = [str(part).strip() if part is not None else "" for part in value]
        if not any(texts):
            return None
        label = self.message_label
        missing = [name for (name, _, _), text in zip(DATE_PARTS, texts, strict=True) if not text]
        if missing:
            raise self._error(f"{label} must include a {_join(missing)}", "incomplete", missing)
        if not all(DIGITS.fullmatch(text) for text in texts):
            raise self._error(f"{label} must be a real date", "invalid")
        if len(texts[2]) != 4:
            raise self._error(f"{label} year must include 4 numbers", "invalid_year", ["year"])
        day, month, year = (int(text) for text in texts)
        try:
            return datetime.date(year, month, day)
        except (ValueError, OverflowError):
            raise self._error(f"{label} must be a real date", "invalid") from None
