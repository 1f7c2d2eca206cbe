"""Template tags behind base.html and the `nhsuk` crispy template pack (templates/nhsuk/).

`{% load nhsuk %}` gives:
- `{% nhsuk_field field as f %}`: what the pack needs to draw one field in NHS.UK markup (ids, classes,
  the widget's HTML, radio/checkbox choices, date boxes, the id the error summary links to).
- `{% error_summary_items form formset … as errors %}`: the error summary's entries for forms/formsets.
- `{% formset_item formset forloop.counter %}`: "Cause 2", the name of a formset's form.
- `{% page_error_prefix %}`: "Error: " when a bound form or formset in the page's context is invalid.
- `{% breadcrumbs "Hazard logs" logs_url "Hazard log" log_url %}`: NHS.UK breadcrumbs, text/URL pairs.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django import forms, template
from django.forms.boundfield import BoundField
from django.forms.formsets import BaseFormSet
from django.utils.functional import LazyObject

from hazardlog.widgets import DATE_PARTS, NHSDateWidget

register = template.Library()

# NHS.UK class of each kind of control, and its error modifier.
CONTROL_CLASSES = {
    "input": ("nhsuk-input", "nhsuk-input--error"),
    "textarea": ("nhsuk-textarea", "nhsuk-textarea--error"),
    "select": ("nhsuk-select", "nhsuk-select--error"),
    "checkbox": ("nhsuk-checkboxes__input", ""),
    "file": ("nhsuk-file-upload__input", ""),
}
# Kinds drawn as a fieldset with a legend (several inputs answer one question).
FIELDSET_KINDS = {"radios", "checkboxes", "date"}
# Bootstrap's button classes, which crispy's own Submit adds; the pack draws NHS.UK buttons instead.
BOOTSTRAP_BUTTON_CLASSES = {"btn", "btn-primary", "btn-secondary"}


@dataclass(frozen=True)
class Choice:
    id: str
    name: str
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class DatePart:
    id: str
    name: str
    label: str
    value: str
    width: int
    has_error: bool


@dataclass(frozen=True)
class FieldView:
    """One bound field as NHS.UK markup sees it."""

    field: BoundField
    kind: str
    id: str
    label: str
    hint_id: str
    error_id: str
    described_by: str
    choices: tuple[Choice, ...] = ()
    date_parts: tuple[DatePart, ...] = ()

    @property
    def errors(self):
        return self.field.errors

    @property
    def is_fieldset(self) -> bool:
        return self.kind in FIELDSET_KINDS

    @property
    def anchor(self) -> str:
        """The id of the input an error summary link should move focus to."""
        if self.date_parts:
            return next((part.id for part in self.date_parts if part.has_error), self.date_parts[0].id)
        if self.choices:
            return self.choices[0].id
        return self.id

    @property
    def container_classes(self) -> str:
        """Classes the form author put on a radio/checkbox widget, e.g. `nhsuk-radios--inline`."""
        return self.field.field.widget.attrs.get("class", "")

    def widget_html(self):
        widget = self.field.field.widget
        base, error = CONTROL_CLASSES.get(self.kind, CONTROL_CLASSES["input"])
        classes = [base, error if self.field.errors else "", widget.attrs.get("class", "")]
        attrs = {"class": " ".join(c for c in classes if c)}
        described_by = " ".join(filter(None, [widget.attrs.get("aria-describedby", ""), self.described_by]))
        if described_by:
            attrs["aria-describedby"] = described_by
        return self.field.as_widget(attrs=attrs)


def field_kind(bound_field: BoundField) -> str:
    widget = bound_field.field.widget
    if bound_field.is_hidden:
        return "hidden"
    if isinstance(widget, NHSDateWidget):
        return "date"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"


def _base_id(bound_field: BoundField) -> str:
    return bound_field.field.widget.attrs.get("id") or bound_field.auto_id or bound_field.html_name


def _choices(bound_field: BoundField) -> tuple[Choice, ...]:
    return tuple(
        Choice(
            id=option.data["attrs"]["id"],
            name=option.data["name"],
            value=str(option.data["value"]),
            label=option.choice_label,
            checked=bool(option.data["selected"]),
        )
        for option in bound_field.subwidgets
    )


def _date_parts(bound_field: BoundField, base_id: str) -> tuple[DatePart, ...]:
    widget = bound_field.field.widget
    value = bound_field.value()
    if not isinstance(value, (list, tuple)):
        value = widget.decompress(value)
    flagged: set[str] = set()
    for error in bound_field.errors.as_data():
        parts = (error.params or {}).get("parts")
        flagged.update(parts or (name for name, _, _ in DATE_PARTS))
    return tuple(
        DatePart(
            id=f"{base_id}_{name}",
            name=f"{bound_field.html_name}_{name}",
            label=label,
            value="" if part is None else str(part),
            width=width,
            has_error=name in flagged,
        )
        for (name, label, width), part in zip(DATE_PARTS, value, strict=True)
    )


def field_view(bound_field: BoundField) -> FieldView:
    kind = field_kind(bound_field)
    base_id = _base_id(bound_field)
    hint_id = f"{base_id}-hint" if bound_field.help_text else ""
    error_id = f"{base_id}-error" if bound_field.errors else ""
    label = str(bound_field.label)
    # NHS.UK marks the optional questions, not the required ones.
    if not bound_field.field.required and kind not in ("checkbox", "checkboxes", "hidden"):
        label = f"{label} (optional)"
    return FieldView(
        field=bound_field,
        kind=kind,
        id=base_id,
        label=label,
        hint_id=hint_id,
        error_id=error_id,
        described_by=" ".join(filter(None, [hint_id, error_id])),
        choices=_choices(bound_field) if kind in ("radios", "checkboxes") else (),
        date_parts=_date_parts(bound_field, base_id) if kind == "date" else (),
    )


@register.simple_tag
def nhsuk_field(bound_field: BoundField) -> FieldView:
    return field_view(bound_field)


@register.filter
def nhsuk_button_classes(field_classes: str) -> str:
    """Extra classes for an NHS.UK button: whatever the layout asked for, minus Bootstrap's."""
    return " ".join(c for c in str(field_classes).split() if c not in BOOTSTRAP_BUTTON_CLASSES)


# Error summary ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryError:
    text: str
    href: str  # "" when there is no field to move to


def _name_field(message: str, label: str) -> str:
    """Summary entries stand alone, away from their field, so each one names it."""
    return message if label.lower() in message.lower() else f"{label}: {message}"


def _form_errors(form: forms.BaseForm, prefix: str = "") -> list[SummaryError]:
    if not form.errors:
        return []
    entries = []
    if form.non_field_errors():
        # A non-field error (e.g. wrong username or password) moves focus to the form's first field.
        first = next((form[name] for name in form.fields if not form[name].is_hidden), None)
        href = f"#{field_view(first).anchor}" if first else ""
        entries.extend(SummaryError(f"{prefix}{message}", href) for message in form.non_field_errors())
    for name, messages in form.errors.items():
        if name not in form.fields:
            continue
        view = field_view(form[name])
        href = "" if view.kind == "hidden" else f"#{view.anchor}"
        label = str(form[name].label)
        entries.extend(SummaryError(f"{prefix}{_name_field(str(m), label)}", href) for m in messages)
    return entries


@register.simple_tag
def formset_item(formset: BaseFormSet, number: int) -> str:
    """What a formset's n-th form is called on the page and in the error summary: "Cause 2" or "Item 2"."""
    model = getattr(formset, "model", None)
    noun = str(model._meta.verbose_name).capitalize() if model is not None else "Item"
    return f"{noun} {number}"


def _formset_errors(formset: BaseFormSet) -> list[SummaryError]:
    entries = [SummaryError(str(message), "") for message in formset.non_form_errors()]
    for number, form in enumerate(formset.forms, start=1):
        entries.extend(_form_errors(form, prefix=f"{formset_item(formset, number)} – "))
    return entries


def _forms_in(objects: Iterable) -> Iterable[forms.BaseForm | BaseFormSet]:
    for obj in objects:
        if isinstance(obj, LazyObject):  # e.g. the lazy user: never a form, and must not be evaluated here
            continue
        if isinstance(obj, (forms.BaseForm, BaseFormSet)):
            yield obj
        elif isinstance(obj, (list, tuple)):
            yield from (item for item in obj if isinstance(item, (forms.BaseForm, BaseFormSet)))


def summary_errors(*sources) -> list[SummaryError]:
    entries: list[SummaryError] = []
    for source in _forms_in(sources):
        if not source.is_bound:
            continue
        if isinstance(source, BaseFormSet):
            entries.extend(_formset_errors(source))
        else:
            entries.extend(_form_errors(source))
    return entries


@register.simple_tag
def error_summary_items(*sources) -> list[SummaryError]:
    """Entries for the error summary, from any mix of forms, formsets and lists of them."""
    return summary_errors(*sources)


def _has_errors(source: forms.BaseForm | BaseFormSet) -> bool:
    if not source.is_bound:
        return False
    if isinstance(source, BaseFormSet):
        return source.total_error_count() > 0
    return bool(source.errors)


@register.simple_tag(takes_context=True)
def page_error_prefix(context) -> str:
    """ "Error: " for the page title when the page shows an invalid form.

    A view can decide for itself with a `form_has_errors` context variable (True or False);
    otherwise every bound form or formset in the context (or in a list in it) is checked.
    """
    flat = context.flatten()
    if "form_has_errors" in flat:
        return "Error: " if flat["form_has_errors"] else ""
    return "Error: " if any(_has_errors(source) for source in _forms_in(flat.values())) else ""


# Breadcrumbs ------------------------------------------------------------------------------------------


@register.inclusion_tag("nhsuk/breadcrumbs.html")
def breadcrumbs(*texts_and_urls):
    """`{% breadcrumbs "Hazard logs" logs_url "Infusion pump log" log_url %}`: the pages above this one."""
    if len(texts_and_urls) % 2:
        raise template.TemplateSyntaxError("breadcrumbs takes pairs of text and URL")
    items = list(zip(texts_and_urls[::2], texts_and_urls[1::2], strict=True))
    return {"items": items, "parent": items[-1] if items else None}
