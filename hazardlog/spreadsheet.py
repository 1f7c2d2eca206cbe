"""The data export of a log, one row per control with the hazard's fields repeated (like the NHS
one-row-per-control layout, domain.md §3.2), as .xlsx or CSV; the admin exports with the same resource.

The files are written by our own formats, not tablib's: tablib's xlsx writer turns text starting with
"=" into a formula and fails on control characters, and import-export's formula escaping changes data
(pitfalls.md). Here the xlsx holds every text as a text cell, and the CSV escapes cells as OWASP advises
("CSV injection"), reversibly: see `escape_csv_cell`.
"""

import csv
import io
import re

from django.db.models import Prefetch, QuerySet
from import_export import fields, resources
from import_export.formats import base_formats

from hazardlog.models import Cause, Control, ControlKind, ControlType, ImplementationStatus, RiskAssessment
from hazardlog.models.hazard import HazardStatus
from hazardlog.sorting import natural_key
from hazardlog.workbook.numbering import format_items
from hazardlog.workbook.writer import write_table

FORMATS = ("xlsx", "csv")
SHEET_TITLE = "Hazard log data"


def _text(attribute: str, header: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, readonly=True)


def _computed(header: str) -> fields.Field:
    return fields.Field(column_name=header, readonly=True)


# Column widths of the .xlsx, by field name; others get DEFAULT_WIDTH.
WIDTHS = {
    "reference": 12,
    "name": 30,
    "description": 40,
    "clinical_impact": 36,
    "causes": 44,
    "initial_rating": 10,
    "control_number": 10,
    "control": 44,
    "evidence": 36,
    "evidence_url": 30,
    "residual_rating": 10,
    "actions": 40,
    "status": 12,
    "raised_on": 12,
}
DEFAULT_WIDTH = 16


class ControlRowResource(resources.ModelResource):
    """One row per control. A hazard without controls is exported as a blank, unsaved `Control(hazard=…)`."""

    reference = _text("hazard__reference", "Hazard Number")
    name = _text("hazard__name", "Hazard Name")
    description = _text("hazard__description", "Hazard Description")
    clinical_impact = _text("hazard__clinical_impact", "Potential Clinical Impact")
    hazard_type = _text("hazard__hazard_type", "Hazard Type")
    causes = _computed("Possible Causes")
    initial_severity = _computed("Initial Severity")
    initial_likelihood = _computed("Initial Likelihood")
    initial_rating = _computed("Initial Risk")
    control_number = _computed("Control Number")
    control = _text("description", "Control")
    kind = _computed("Control Kind")
    control_type = _computed("Control Type")
    causes_answered = _computed("Causes Answered")
    control_owner = _text("owner", "Control Owner")
    implementation_status = _computed("Implementation Status")
    evidence = _text("evidence", "Evidence")
    evidence_url = _text("evidence_url", "Evidence Link")
    residual_severity = _computed("Residual Severity")
    residual_likelihood = _computed("Residual Likelihood")
    residual_rating = _computed("Residual Risk")
    actions = _text("hazard__actions", "Summary of Actions/Notes")
    owner = _text("hazard__owner", "Owner")
    status = _computed("Status")
    status_reason = _text("hazard__status_reason", "Status Reason")
    raised_on = _computed("Date Raised")

    class Meta:
        model = Control
        fields = (
            "reference",
            "name",
            "description",
            "clinical_impact",
            "hazard_type",
            "causes",
            "initial_severity",
            "initial_likelihood",
            "initial_rating",
            "control_number",
            "control",
            "kind",
            "control_type",
            "causes_answered",
            "control_owner",
            "implementation_status",
            "evidence",
            "evidence_url",
            "residual_severity",
            "residual_likelihood",
            "residual_rating",
            "actions",
            "owner",
            "status",
            "status_reason",
            "raised_on",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        """The admin passes its change list: fetch what each row needs in a fixed number of queries."""
        if isinstance(queryset, QuerySet):
            queryset = queryset.select_related("hazard").prefetch_related(*_CONTROL_PREFETCH)
        return queryset

    def dehydrate_causes(self, control):
        return format_items([(cause.number, cause.description) for cause in control.hazard.causes.all()])

    def dehydrate_control_number(self, control):
        return control.number

    def dehydrate_kind(self, control):
        return ControlKind(control.kind).label if control.kind else ""

    def dehydrate_control_type(self, control):
        return ControlType(control.control_type).label if control.control_type else ""

    def dehydrate_causes_answered(self, control):
        if control.pk is None:
            return ""
        return ", ".join(str(number) for number in sorted(cause.number for cause in control.causes.all()))

    def dehydrate_implementation_status(self, control):
        return ImplementationStatus(control.implementation_status).label if control.pk else ""

    def dehydrate_status(self, control):
        return HazardStatus(control.hazard.status).label

    def dehydrate_raised_on(self, control):
        return control.hazard.raised_on

    def _level(self, control, stage: str, what: str):
        assessment = control.hazard.assessment(stage)
        if assessment is None:
            return None
        return assessment.rating.number if what == "rating" else getattr(assessment, what).name

    def dehydrate_initial_severity(self, control):
        return self._level(control, "initial", "severity")

    def dehydrate_initial_likelihood(self, control):
        return self._level(control, "initial", "likelihood")

    def dehydrate_initial_rating(self, control):
        return self._level(control, "initial", "rating")

    def dehydrate_residual_severity(self, control):
        return self._level(control, "residual", "severity")

    def dehydrate_residual_likelihood(self, control):
        return self._level(control, "residual", "likelihood")

    def dehydrate_residual_rating(self, control):
        return self._level(control, "residual", "rating")

    def column_widths(self) -> list[float]:
        return [WIDTHS.get(self.get_field_name(field), DEFAULT_WIDTH) for field in self.get_export_fields()]


def _active_causes():
    return Cause.objects.filter(withdrawn=False).order_by("number")


_ASSESSMENTS = RiskAssessment.objects.select_related("severity", "likelihood", "rating")
_CONTROL_PREFETCH = (
    Prefetch("causes", queryset=_active_causes()),
    Prefetch("hazard__causes", queryset=_active_causes()),
    Prefetch("hazard__assessments", queryset=_ASSESSMENTS),
)


def control_rows(log) -> list[Control]:
    """The log's rows in natural hazard order: its controls (withdrawn ones left out) by number, or one
    blank control for a hazard that has none."""
    hazards = log.hazards.prefetch_related(
        Prefetch("causes", queryset=_active_causes()),
        Prefetch(
            "controls",
            queryset=Control.objects.filter(withdrawn=False)
            .order_by("number")
            .prefetch_related(Prefetch("causes", queryset=_active_causes())),
        ),
        Prefetch("assessments", queryset=_ASSESSMENTS),
    )
    rows = []
    for hazard in sorted(hazards, key=lambda h: natural_key(h.reference)):
        rows.extend(hazard.controls.all() or [Control(hazard=hazard)])
    return rows


# The files --------------------------------------------------------------------------------------

_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r]")


def escape_csv_cell(value):
    """OWASP: a cell that starts with = + - @ TAB or CR gets a leading apostrophe, so a spreadsheet shows it
    as text instead of running it. Text that already starts with apostrophes before such a character gets
    one more, so `unescape_csv_cell` can always undo it exactly."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def unescape_csv_cell(value: str) -> str:
    return value[1:] if _QUOTED.match(value) else value


def csv_bytes(dataset) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads it as UTF-8), every cell quoted, formulas escaped."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(dataset.headers)
    for row in dataset:
        writer.writerow("" if value is None else escape_csv_cell(value) for value in row)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(dataset, widths: list[float] | None = None) -> bytes:
    widths = widths or [20] * len(dataset.headers)
    return write_table(SHEET_TITLE, dataset.headers, [list(row) for row in dataset], widths)


class SafeCSV(base_formats.CSV):
    """CSV for the admin's export: as `csv_bytes` writes it."""

    def export_data(self, dataset, **kwargs):
        return csv_bytes(dataset)

    def is_binary(self):
        return True


class SafeXLSX(base_formats.XLSX):
    """XLSX for the admin's export: text as text cells, control characters kept (see workbook.celltext)."""

    def export_data(self, dataset, **kwargs):
        return xlsx_bytes(dataset)


def export_data(log, fmt: str) -> bytes:
    """The log's data export as .xlsx or CSV bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown data export format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    resource = ControlRowResource()
    dataset = resource.export(queryset=control_rows(log))
    if fmt == "csv":
        return csv_bytes(dataset)
    return xlsx_bytes(dataset, resource.column_widths())
