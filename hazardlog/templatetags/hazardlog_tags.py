"""`{% load hazardlog_tags %}`: risk ratings drawn as NHS.UK tags in their matrix colours.

- `{% rating_tag rating %}`: the number and label in a tag coloured like the matrix (colour is never
  the only cue); "Not assessed" when there is no rating.
- `{% filter_select bound_field %}`: a hazard list filter as an NHS.UK select.
- `{% rating_stylesheets matrix_view %}` in `extra_head`: the app's stylesheet and the colours of
  that matrix (served by `hazardlog:matrix_css`; the CSP forbids inline styles). Also takes a list of
  (matrix id, colours version) pairs.
"""

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from hazardlog import clauses
from hazardlog.presenters import MatrixView, rating_class

register = template.Library()


@register.simple_tag
def rating_tag(rating, prefix: str = ""):
    """`prefix` (e.g. "Initial") is read by screen readers before the rating, for tags out of context."""
    hidden = format_html('<span class="nhsuk-u-visually-hidden">{} rating </span>', prefix) if prefix else ""
    # A missing assessment reaches here as None, or as "" when the template looked up `assessment.rating`
    # of no assessment (Django renders a failed lookup as the empty string).
    if rating is None or rating == "":
        return format_html('<strong class="nhsuk-tag nhsuk-tag--white">{}Not assessed</strong>', hidden)
    return format_html(
        '<strong class="nhsuk-tag hl-rating {}">{}{} {}</strong>',
        rating_class(rating),
        hidden,
        rating.number,
        rating.label,
    )


@register.simple_tag
def rating_stylesheets(matrices):
    if isinstance(matrices, MatrixView):
        matrices = [(matrices.matrix_id, matrices.colours_version)]
    links = format_html_join(
        "\n",
        '<link rel="stylesheet" href="{}?v={}">',
        ((reverse("hazardlog:matrix_css", args=[matrix_id]), version) for matrix_id, version in matrices),
    )
    return format_html('<link rel="stylesheet" href="{}">\n{}', static("hazardlog/hazardlog.css"), links)


@register.filter
def rating_css_class(rating) -> str:
    return rating_class(rating) if rating not in (None, "") else ""


@register.simple_tag
def filter_select(field):
    """A filter of the hazard list as an NHS.UK select. Drawn here rather than by the form widget: the list
    draws many options on every request, and Django's widget templates cost about 0.1 ms an option."""
    data = field.data
    if isinstance(data, list | tuple):  # the sort filter takes a comma-separated list
        data = data[0] if data else ""
    current = "" if data is None else str(data)
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if str(value) == current else "", label)
            for value, label in field.field.choices
        ),
    )
    error = ""
    if field.errors:
        error = format_html(
            '<span class="nhsuk-error-message" id="{}-error">'
            '<span class="nhsuk-u-visually-hidden">Error:</span> {}</span>',
            field.id_for_label,
            " ".join(field.errors),
        )
    return format_html(
        '<div class="nhsuk-form-group{}"><label class="nhsuk-label" for="{}">{}</label>{}'
        '<select class="nhsuk-select{}" id="{}" name="{}"{}>{}</select></div>',
        " nhsuk-form-group--error" if field.errors else "",
        field.id_for_label,
        field.label,
        error,
        " nhsuk-select--error" if field.errors else "",
        field.id_for_label,
        field.html_name,
        format_html(' aria-describedby="{}-error"', field.id_for_label) if field.errors else "",
        options,
    )


@register.simple_tag
def cite(log, requirement: str) -> str:
    """`{% cite log "hazard_log_approval" %}`: the clause of the log's own standard (hazardlog/clauses.py)."""
    return clauses.cite(log.standard, requirement)
