"""The data export of a log, one row per control with the hazard's fields repeated (like the NHS
one-row-per-control layout, domain.md §3.2), as .xlsx or CSV; the admin exports and imports with the same
resource.

The admin import changes controls only (their own columns); the hazard columns repeated on each row are
checked against the log and a difference is refused, because the NHS workbook import and the hazard editor
are the ways to change a hazard. See `ControlRowResource` for the rules.

The files are written and read by `hazardlog.datafiles`, not tablib (pitfalls.md); import-export's formula
escaping changes data, so it is not used either.
"""

import re
from datetime import date, datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from hazardlog import snapshot
from hazardlog.datafiles import Columns, cell_text, csv_bytes, read_csv, read_xlsx, xlsx_bytes
from hazardlog.models import Cause, Control, ControlKind, ControlType, Hazard, ImplementationStatus, RiskAssessment
from hazardlog.models.hazard import HazardStatus
from hazardlog.sorting import natural_key
from hazardlog.text import normalise_label, reference_key
from hazardlog.workbook.numbering import format_items
from hazardlog.workbook.writer import CellTooLong, check_hazard_fits

FORMATS = ("xlsx", "csv")


def _text(attribute: str, header: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, readonly=True)


def _computed(header: str) -> fields.Field:
    return fields.Field(column_name=header, readonly=True)


def _editable(attribute: str, header: str, widget=None) -> fields.Field:
    """A control's own column: written by the admin import."""
    return fields.Field(attribute=attribute, column_name=header, widget=widget or widgets.CharWidget())


class LabelWidget(widgets.Widget):
    """A choice as exported (its label, "Verified") ↔ its stored value ("verified"). Case and spacing are
    ignored; an unknown label is refused with the allowed ones."""

    def __init__(self, choices, noun: str, required: bool = True):
        super().__init__()
        self.choices, self.noun, self.required = choices, noun, required

    def allowed(self) -> str:
        return ", ".join(self.choices.labels)

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            if self.required:
                raise ValueError(f"Enter the {self.noun}: one of {self.allowed()}.")
            return ""
        for choice in self.choices:
            if normalise_label(text) in (normalise_label(choice.label), choice.value):
                return choice.value
        blank = "" if self.required else ", or leave it empty"
        raise ValueError(f"{self.noun.capitalize()} “{text}” is not known. Use one of {self.allowed()}{blank}.")

    def render(self, value, obj=None, **kwargs):
        return self.choices(value).label if value in self.choices.values else cell_text(value)


class CauseNumbersWidget(widgets.ManyToManyWidget):
    """ "1, 2" ↔ the causes a control answers, by their numbers in the hazard. Unlike ManyToManyWidget an
    unknown number is refused, not dropped: `ControlRowResource` resolves the numbers against the row's
    hazard (`parse`), and saves them with history."""

    def __init__(self):
        super().__init__(Cause, separator=",", field="number")

    def parse(self, value) -> list[int]:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # Excel turns a lone "1" into the number 1 (or 1.0)
        numbers = []
        for part in re.split(r"[,;]", cell_text(value)):
            part = part.strip().removesuffix(".0")
            if not part:
                continue
            if not part.isdigit():
                raise ValueError(f"“{part}” is not a cause number. List the causes' numbers, e.g. 1, 2.")
            numbers.append(int(part))
        return numbers

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return ", ".join(str(n) for n in sorted(cause.number for cause in value.all() if not cause.withdrawn))


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


class PlainDiff(resources.Diff):
    """The preview's cells: a changed value as its old value struck out and the new one inserted, whole
    ("Proposed → Verified", not import-export's character diff "Propos|Verifi|ed"), and without
    import-export's inline styles, which the Content-Security-Policy blocks."""

    def __init__(self, resource, instance, new):
        # import-export makes this diff from a deep copy of the row's control, taken just before the row
        # is applied; a deep copy keeps none of the prefetched causes, so reading it would cost a query per
        # row. The control itself, unchanged at this point, is read instead (ControlRowResource._found).
        found = getattr(resource, "_found", None)
        if found is not None and found.pk is not None and found.pk == instance.pk:
            instance = found
        super().__init__(resource, instance, new)

    def as_html(self):
        cells = []
        for old, new in zip(self.left, self.right, strict=True):
            old, new = ("" if self.new else cell_text(old)), cell_text(new)
            if old == new:
                cells.append(format_html("<span>{}</span>", new) if new else "")
            else:
                parts = [format_html("<del>{}</del>", old)] if old else []
                parts += [format_html("<ins>{}</ins>", new)] if new else []
                cells.append(mark_safe(" → ".join(parts)))  # noqa: S308 - each part is escaped above
        return cells


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
    control_number = _text("number", "Control Number")
    control = _editable("description", "Control")
    kind = _editable("kind", "Control Kind", LabelWidget(ControlKind, "control kind"))
    control_type = _editable("control_type", "Control Type", LabelWidget(ControlType, "control type", required=False))
    causes_answered = _editable("causes", "Causes Answered", CauseNumbersWidget())
    control_owner = _editable("owner", "Control Owner")
    implementation_status = _editable(
        "implementation_status", "Implementation Status", LabelWidget(ImplementationStatus, "implementation status")
    )
    evidence = _editable("evidence", "Evidence")
    evidence_url = _editable("evidence_url", "Evidence Link")
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
        # The admin import (pitfalls.md): history needs save() on every row, so no use_bulk; Django's own
        # validation of each control; a re-imported unchanged export writes nothing and says so. The admin
        # passes rollback_on_validation_errors=True so that any problem writes nothing.
        use_bulk = False
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    @classmethod
    def get_diff_class(cls):
        return PlainDiff

    def __init__(self, log=None, **kwargs):
        """`log`: the hazard log an import's rows belong to (chosen in the admin's import form)."""
        super().__init__(**kwargs)
        self.log = log

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

    # The admin import ------------------------------------------------------------------------------
    #
    # A row is matched to a control by the chosen log, its Hazard Number (any case, as Hazard.reference_key)
    # and its Control Number. A number the hazard does not have yet adds a control (Control, Control Kind
    # and, for an additional control, Control Type are then needed); a withdrawn control's number is refused.
    # A row whose control columns are all empty (a hazard without controls) is skipped. Every error names
    # the row as the spreadsheet numbers it (the header is row 1) and the column.

    def get_import_fields(self):
        # Only these columns are read; the preview and the list of imported fields show only them.
        return [self.fields[name] for name in IMPORT_FIELDS]

    def before_import(self, dataset, **kwargs):
        if self.log is None:
            raise ValueError("Choose the hazard log the file belongs to.")
        self._user = kwargs.get("user")
        self._reason = f"Admin import of {kwargs.get('file_name') or 'a data file'}"
        self._hazards: dict[str, Hazard] | None = None  # by reference_key, loaded at the first row that needs it
        self._revised: set[int] = set()
        self._rows: dict[tuple[int, int], int] = {}  # (hazard, control number) → the first row naming it

    def before_import_row(self, row, **kwargs):
        self._row_number = kwargs["row_number"] + 1  # the header is the sheet's first row
        self._blank = False
        self._wanted_causes: list[Cause] | None = None
        self._found: Control | None = None  # the existing control the row names (see PlainDiff)

    def get_or_init_instance(self, instance_loader, row):
        if not any(cell_text(value) for value in row.values()):
            self._blank = True
            return Control(implementation_status=""), True  # "" so the preview shows no status
        hazard = self._hazard(row)
        if not any(cell_text(row.get(column)) for column in CONTROL_COLUMNS):
            self._blank = True  # a hazard without controls is exported as one row with empty control columns
            return Control(hazard=hazard, implementation_status=""), True
        number = self._control_number(row)
        first = self._rows.setdefault((hazard.pk, number), self._row_number)
        if first != self._row_number:  # else the later row would silently win
            raise self._invalid(
                CONTROL_NUMBER, f"control {number} of hazard {hazard.reference} is also on row {first}; keep one row."
            )
        control = next((control for control in hazard.controls.all() if control.number == number), None)
        if control is None:
            return Control(hazard=hazard, number=number), True
        if control.withdrawn:
            raise self._invalid(
                CONTROL_NUMBER,
                f"control {number} of hazard {hazard.reference} is withdrawn. Reinstate it in the admin's hazard "
                "page first, or give a number the hazard does not use to add a control.",
            )
        control.hazard = hazard  # the one with the prefetched causes and assessments the export reads
        self._found = control
        return control, False

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        if not self._blank:
            try:
                super().import_instance(instance, row, **kwargs)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
            errors.update(self._cause_errors(instance, row))
        if instance.hazard_id:
            errors.update(self._hazard_differences(instance, row))
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        if self._blank:
            return True
        if instance.pk is None:
            return False
        changed = any(getattr(instance, name) != getattr(original, name) for name in CONTROL_ATTRIBUTES)
        return not changed and not self._causes_change(instance)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if self._blank:  # nothing of the control is read, so only the hazard columns' errors count
            raise ValidationError(self._located(import_validation_errors or {}))
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            raise ValidationError(self._located(error.message_dict)) from None

    def before_save_instance(self, instance, row, **kwargs):
        instance._history_user = self._user
        instance._change_reason = self._reason

    def save_m2m(self, instance, row, **kwargs):
        if not self._is_using_transactions(kwargs) and self._is_dry_run(kwargs):
            return
        if self._causes_change(instance):
            instance.causes.set(self._wanted_causes)  # history: the instance carries user and reason
        hazard = instance.hazard
        if hazard.pk not in self._revised:
            # A changed control changes its hazard: an editor opened on it before must not save over this
            # import (services.save_hazard compares revisions), so the hazard is saved, which bumps it.
            self._revised.add(hazard.pk)
            hazard._history_user, hazard._change_reason = self._user, self._reason
            hazard.save(update_fields=["revision", "updated_at"])
        try:
            check_hazard_fits(snapshot.hazard_row(hazard))
        except CellTooLong as error:
            message = f"hazard {hazard.reference} would no longer fit the NHS workbook: {error}"
            raise ValidationError(self._located({"description": [message]})) from None

    # helpers

    def _invalid(self, column: str, message: str) -> ValidationError:
        return ValidationError(self._located({column: [message]}))

    def _located(self, errors: dict) -> dict:
        """Errors keyed by model field or column → keyed by column, each message naming row and column."""
        columns = {field.attribute: field.column_name for field in self.fields.values() if field.attribute}
        located = {}
        for key, messages in errors.items():
            column = columns.get(key, key)
            where = f"Row {self._row_number}" if key == NON_FIELD_ERRORS else f"Row {self._row_number}, {column}"
            located.setdefault(column, []).extend(
                message if message.startswith("Row ") else f"{where}: {message}" for message in messages
            )
        return located

    def _hazard(self, row) -> Hazard:
        text = cell_text(row.get(HAZARD_NUMBER))
        if not text:
            raise self._invalid(HAZARD_NUMBER, "empty. Every row needs the number of its hazard, as exported.")
        if self._hazards is None:
            # The whole log once, with what each row reads (its controls, their causes, the hazard's causes and
            # assessments for the export's columns), so the number of queries does not grow with the rows.
            controls = Control.objects.order_by("number").prefetch_related(Prefetch("causes", _active_causes()))
            self._hazards = {
                hazard.reference_key: hazard
                for hazard in self.log.hazards.prefetch_related(
                    Prefetch("causes", queryset=_active_causes()),
                    Prefetch("assessments", _ASSESSMENTS),
                    Prefetch("controls", controls),
                )
            }
        hazard = self._hazards.get(reference_key(text))
        if hazard is None:
            raise self._invalid(
                HAZARD_NUMBER,
                f"there is no hazard “{text}” in the log “{self.log.name}”. This import changes controls of "
                "existing hazards: add the hazard in the hazard editor first, or check the log chosen.",
            )
        return hazard

    def _control_number(self, row) -> int:
        value = row.get(CONTROL_NUMBER)
        text = cell_text(value).removesuffix(".0")
        if not text:
            raise self._invalid(CONTROL_NUMBER, "empty. Give the control's number, or a new number to add a control.")
        if not text.isdigit() or int(text) < 1:
            raise self._invalid(CONTROL_NUMBER, f"“{cell_text(value)}” is not a control number (1, 2, 3…).")
        return int(text)

    def _cause_errors(self, instance, row) -> dict:
        """Reads Causes Answered into `_wanted_causes`; returns the errors it finds."""
        if CAUSES_ANSWERED not in row:
            return {}
        field = self.fields["causes_answered"]
        try:
            numbers = field.widget.parse(row[CAUSES_ANSWERED])
        except ValueError as error:
            return {CAUSES_ANSWERED: [str(error)]}
        causes = {cause.number: cause for cause in instance.hazard.causes.all()}  # active ones, prefetched
        unknown = [str(number) for number in numbers if number not in causes]
        if unknown:
            have = ", ".join(str(number) for number in sorted(causes)) or "none"
            return {
                CAUSES_ANSWERED: [
                    f"hazard {instance.hazard.reference} has no cause {' or '.join(unknown)} "
                    f"(its causes are numbered {have})."
                ]
            }
        self._wanted_causes = [causes[number] for number in dict.fromkeys(numbers)]
        return {}

    def _causes_change(self, instance) -> bool:
        if self._wanted_causes is None:
            return False
        current = set() if instance.pk is None else {cause.pk for cause in instance.causes.all()}
        return {cause.pk for cause in self._wanted_causes} != current

    def _hazard_differences(self, instance, row) -> dict:
        """The hazard columns repeated on the row must say what the log says: a difference would otherwise
        be dropped silently, and the person importing would believe the hazard changed. A column left out
        of the file is not checked."""
        errors = {}
        # A row typed to add a control need not repeat the hazard: its empty hazard cells say nothing.
        typed = instance.pk is None and not self._blank
        for name in HAZARD_FIELDS:
            field = self.fields[name]
            if field.column_name not in row:
                continue
            in_log = _comparable(self.export_field(field, instance))
            in_file = _comparable(row[field.column_name])
            if in_file != in_log and not (typed and not in_file):
                errors[field.column_name] = [
                    f"the file has {_quote(in_file)} but hazard {instance.hazard.reference} has {_quote(in_log)}. "
                    "This import changes controls only: change hazards in the hazard editor or with the NHS "
                    "workbook import, or export the log again for a current file."
                ]
        return errors


HAZARD_NUMBER = "Hazard Number"
CONTROL_NUMBER = "Control Number"
CAUSES_ANSWERED = "Causes Answered"
# What the admin import reads: the keys, then the control's own columns.
IMPORT_FIELDS = (
    "reference",
    "control_number",
    "control",
    "kind",
    "control_type",
    "causes_answered",
    "control_owner",
    "implementation_status",
    "evidence",
    "evidence_url",
)
CONTROL_COLUMNS = tuple(ControlRowResource.fields[name].column_name for name in IMPORT_FIELDS[1:])
CONTROL_ATTRIBUTES = (
    "description",
    "kind",
    "control_type",
    "owner",
    "implementation_status",
    "evidence",
    "evidence_url",
)
# Repeated on each row, never written by the import: checked against the log.
HAZARD_FIELDS = tuple(name for name in ControlRowResource._meta.fields if name not in IMPORT_FIELDS)
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _comparable(value) -> str:
    """A cell as compared with the log: text with Excel's line endings, numbers Excel made floats, and
    dates as a date cell, ISO text or the UK's dd/mm/yyyy all compare equal to what the export wrote."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).replace("\r\n", "\n")
    match = _UK_DATE.match(text.strip())
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return text
    return text


def _quote(text: str, limit: int = 80) -> str:
    if not text:
        return "nothing (empty)"
    return f"“{text[:limit]}…”" if len(text) > limit else f"“{text}”"


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
    blank control for a hazard that has none. Hazards entered in error are no part of the log."""
    hazards = log.hazards.filter(entered_in_error=False).prefetch_related(
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


def _columns() -> Columns:
    return Columns(tuple(ControlRowResource().get_export_headers()), (HAZARD_NUMBER, CONTROL_NUMBER))


class _NamedUpload:
    """The admin sets `file_name` on the format before reading, so messages name the file."""

    file_name = ""

    def upload_name(self, default: str) -> str:
        return self.file_name or default


class SafeCSV(_NamedUpload, base_formats.CSV):
    """CSV for the admin: written as `csv_bytes` writes it, read by `read_csv`."""

    def export_data(self, dataset, **kwargs):
        return csv_bytes(dataset)

    def create_dataset(self, in_stream, **kwargs):
        return read_csv(in_stream, self.upload_name("The CSV file"), _columns())

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"  # bytes from the tmp storage: read_csv decodes them itself


class SafeXLSX(_NamedUpload, base_formats.XLSX):
    """XLSX for the admin: text as text cells, control characters kept (see workbook.celltext); read by
    `read_xlsx`."""

    def export_data(self, dataset, **kwargs):
        return xlsx_bytes(dataset)

    def create_dataset(self, in_stream, **kwargs):
        return read_xlsx(in_stream, self.upload_name("The file.xlsx"), _columns())


def export_data(log, fmt: str) -> bytes:
    """The log's data export as .xlsx or CSV bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown data export format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    resource = ControlRowResource()
    dataset = resource.export(queryset=control_rows(log))
    if fmt == "csv":
        return csv_bytes(dataset)
    return xlsx_bytes(dataset, resource.column_widths())
