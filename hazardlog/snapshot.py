"""A hazard log as plain, immutable data: what the workbook writer, the data export, an approved
issue's JSON and the diff between issues all work from. Built with a fixed number of queries.

Withdrawn causes and controls are left out: they are kept in the database, not exported.
"""

import dataclasses
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class CauseRow:
    number: int
    description: str
    source_id: str = ""  # the workbook's own id of the cause, e.g. "0101", which other documents cite


@dataclass(frozen=True)
class ControlRow:
    number: int
    description: str
    kind: str  # ControlKind value
    control_type: str  # ControlType value, "" for an existing control without a type
    owner: str = ""
    implementation_status: str = "proposed"
    evidence: str = ""
    evidence_url: str = ""
    source_id: str = ""  # e.g. "010101"
    # Columns of an imported one-row-per-control workbook that no field holds: ((header, text), …)
    additional_columns: tuple[tuple[str, str], ...] = ()
    cause_numbers: tuple[int, ...] = ()


@dataclass(frozen=True)
class AssessmentRow:
    severity: str  # level names as in the log's matrix
    likelihood: str
    rating: int
    rationale: str = ""
    assessed_by: str = ""
    assessed_at: date | None = None


@dataclass(frozen=True)
class HazardRow:
    reference: str
    name: str
    description: str = ""
    clinical_impact: str = ""
    hazard_type: str = ""
    owner: str = ""
    actions: str = ""
    status: str = "open"  # HazardStatus value
    status_reason: str = ""
    raised_on: date | None = None
    # Columns of an imported workbook that no field holds, in the workbook's order: ((header, text), …)
    additional_columns: tuple[tuple[str, str], ...] = ()
    causes: tuple[CauseRow, ...] = ()
    controls: tuple[ControlRow, ...] = ()
    initial: AssessmentRow | None = None
    residual: AssessmentRow | None = None


@dataclass(frozen=True)
class MatrixData:
    name: str
    version: str
    severities: tuple[tuple[str, str], ...]  # (name, definition), least severe first
    likelihoods: tuple[tuple[str, str], ...]  # (name, definition), least likely first
    ratings: tuple[tuple[int, str, str, str], ...]  # (number, label, acceptability, colour)
    grid: tuple[tuple[int, ...], ...]  # grid[likelihood index][severity index] = rating number

    def rating_for(self, severity: str, likelihood: str) -> int:
        s = [name for name, _ in self.severities].index(severity)
        lk = [name for name, _ in self.likelihoods].index(likelihood)
        return self.grid[lk][s]

    def colour_of(self, number: int) -> str:
        return next(colour for n, _, _, colour in self.ratings if n == number)


@dataclass(frozen=True)
class IssueRow:
    number: str
    meaning: str
    approved_by: str
    approved_at: datetime


@dataclass(frozen=True)
class LogSnapshot:
    name: str
    standard: str
    clinical_safety_officer: str
    programme: str
    sub_programme: str
    programme_director: str
    owner: str
    author: str
    document_reference: str
    document_status: str
    version: str
    version_date: date | None
    purpose: str
    matrix: MatrixData
    hazards: tuple[HazardRow, ...]
    issues: tuple[IssueRow, ...] = ()
    document_history: list = dataclasses.field(default_factory=list)  # HazardLog.document_history
    kept_sheets: list = dataclasses.field(default_factory=list)  # HazardLog.kept_sheets


def _plain_fields(row_class, leave_out: set[str]) -> tuple[str, ...]:
    """The names of a row's own fields, in order: the one list of what a hazard, control or cover holds."""
    return tuple(f.name for f in dataclasses.fields(row_class) if f.name not in leave_out)


# Derived from the dataclasses above, so the snapshot, its diff and its queries cannot drift apart.
COVER_FIELDS = _plain_fields(LogSnapshot, {"matrix", "hazards", "issues", "document_history", "kept_sheets"})
HAZARD_FIELDS = _plain_fields(HazardRow, {"causes", "controls", "initial", "residual"})
CONTROL_FIELDS = _plain_fields(ControlRow, {"cause_numbers"})
_ASSESSMENT_FIELDS = ("severity__name", "likelihood__name", "rating__number", "rationale", "assessed_by", "assessed_at")


def build_snapshot(log) -> LogSnapshot:
    """The log as it is now in the database, in six queries whatever its size."""
    from hazardlog import risk
    from hazardlog.sorting import natural_key

    table = risk.MatrixTable.load(log.matrix)
    # A hazard entered in error is kept in the database but is no part of the log: not in its documents.
    current = {"hazard__log": log, "hazard__entered_in_error": False}
    rows = _hazard_rows(log.hazards.filter(entered_in_error=False), within=current)
    rows.sort(key=lambda row: natural_key(row.reference))
    issues = log.issues.select_related("approved_by").defer("workbook", "snapshot").order_by("approved_at")
    cover = {name: getattr(log, name) for name in COVER_FIELDS}
    return LogSnapshot(
        **cover,
        document_history=log.document_history,
        kept_sheets=log.kept_sheets,
        matrix=_matrix_data(table),
        hazards=tuple(rows),
        issues=tuple(
            IssueRow(i.number, i.meaning, i.approved_by.get_full_name() or i.approved_by.username, i.approved_at)
            for i in issues
        ),
    )


def hazard_row(hazard) -> HazardRow:
    """One hazard as the snapshot (and so the workbook) holds it."""
    return _hazard_rows(type(hazard).objects.filter(pk=hazard.pk), within={"hazard_id": hazard.pk})[0]


def _hazard_rows(hazards, within: dict) -> list[HazardRow]:
    """HazardRows of `hazards`; `within` filters their causes, controls and assessments to the same set
    with a join rather than an IN list, so a log of any size costs five queries."""
    from hazardlog.models import Cause, Control, RiskAssessment

    through = {f"control__{key}": value for key, value in within.items()}
    causes = defaultdict(list)
    for hazard_id, number, description, source_id in (
        Cause.objects.filter(**within, withdrawn=False)
        .order_by("number")
        .values_list("hazard_id", "number", "description", "source_id")
    ):
        causes[hazard_id].append(CauseRow(number, description, source_id))
    answers = defaultdict(list)
    links = Control.causes.through.objects.filter(**through, cause__withdrawn=False)
    for control_id, number in links.values_list("control_id", "cause__number"):
        answers[control_id].append(number)
    controls = defaultdict(list)
    additional = CONTROL_FIELDS.index("additional_columns")
    for pk, hazard_id, *fields in (
        Control.objects.filter(**within, withdrawn=False)
        .order_by("number")
        .values_list("pk", "hazard_id", *_as_text(CONTROL_FIELDS))
    ):
        fields[additional] = _pairs(fields[additional])
        controls[hazard_id].append(ControlRow(*fields, cause_numbers=tuple(sorted(answers.get(pk, ())))))
    assessments = {
        (hazard_id, stage): AssessmentRow(*fields)
        for hazard_id, stage, *fields in RiskAssessment.objects.filter(**within).values_list(
            "hazard_id", "stage", *_ASSESSMENT_FIELDS
        )
    }
    rows = [
        HazardRow(
            **_hazard_fields(values),
            causes=tuple(causes[pk]),
            controls=tuple(controls[pk]),
            initial=assessments.get((pk, "initial")),
            residual=assessments.get((pk, "residual")),
        )
        for pk, *values in hazards.values_list("pk", *_as_text(HAZARD_FIELDS))
    ]
    return rows


def _hazard_fields(values) -> dict:
    fields = dict(zip(HAZARD_FIELDS, values, strict=True))
    return fields | {"additional_columns": _pairs(fields["additional_columns"])}


def _as_text(fields: tuple[str, ...]) -> list:
    """The fields to select, additional_columns as its JSON text: most rows hold none ("[]"), and decoding
    them all through the JSONField was a sixth of an export's snapshot."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    return [Cast(name, TextField()) if name == "additional_columns" else name for name in fields]


def _pairs(stored: str | None) -> tuple[tuple[str, str], ...]:
    """Additional columns as stored (JSON text: a list of [header, text]) → the immutable pairs of the rows."""
    if not stored or stored == "[]":
        return ()
    return tuple((header, text) for header, text in json.loads(stored))


def _matrix_data(table) -> MatrixData:
    return MatrixData(
        name=table.matrix.name,
        version=table.matrix.version,
        severities=tuple((s.name, s.definition) for s in table.severities),
        likelihoods=tuple((lk.name, lk.definition) for lk in table.likelihoods),
        ratings=tuple((r.number, r.label, r.acceptability, r.colour) for r in table.ratings),
        grid=tuple(tuple(table.rating(s, lk).number for s in table.severities) for lk in table.likelihoods),
    )


def to_json(snapshot: LogSnapshot) -> dict:
    """Plain JSON-ready data (dates as ISO text), stable key order, for approved issues and diffs."""

    def convert(value):
        if isinstance(value, date | datetime):
            return value.isoformat()
        if isinstance(value, tuple | list):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    return convert(dataclasses.asdict(snapshot))
