"""Reading a manufacturer's issued hazard log: an NHS workbook (through hazardlog's own reader, any layout it
reads) or the JSON of an approved issue of this app (`docs/upstream-json.md`). Pure apart from loading the NHS
matrix: bytes in, `Reading` out, or `SourceRefused` naming the row and field. Nothing is written here."""

import json
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings

from hazardlog import nhs_matrix, risk
from hazardlog.models import ControlKind, ControlType, HazardStatus, ImplementationStatus, RiskMatrix
from hazardlog.snapshot import AssessmentRow, CauseRow, ControlRow, HazardRow, _matrix_data, to_json
from hazardlog.text import CELL_MAX_CHARS, REFERENCE_MAX_LENGTH, reference_key
from hazardlog.workbook import guard, reader
from hazardlog.workbook.guard import UploadRefused

from .models import SourceFormat

JSON_SUFFIX = ".json"
WORKBOOK_SUFFIXES = (".xlsx",)
ISSUE_JSON = "issue JSON"
SHORT = 200
NAME_MAX = 500


class SourceRefused(Exception):
    """The file cannot be brought in; `messages` say where and why (nothing was written)."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass
class Reading:
    format: str  # SourceFormat value
    layout: str
    hazards: list[dict]  # HazardRow as JSON (to_json), in the file's order
    cover: dict = field(default_factory=dict)  # the manufacturer's cover fields, as text
    warnings: list[str] = field(default_factory=list)

    @property
    def suggested(self) -> dict:
        """Manufacturer's details the file gives, to fill blanks of the bring-in form."""
        return {
            "system": self.cover.get("name", ""),
            "version": self.cover.get("version", ""),
            "issue_date": self.cover.get("version_date", ""),
        }


def read_source(file_name: str, content: bytes) -> Reading:
    """Read an upload as a workbook or an issue's JSON, by its name; raises SourceRefused."""
    if len(content) > settings.HAZARDLOG_MAX_UPLOAD_BYTES:
        raise SourceRefused([f"The file is larger than {settings.HAZARDLOG_MAX_UPLOAD_BYTES:,} bytes."])
    if (file_name or "").lower().endswith(JSON_SUFFIX):
        return read_issue_json(content)
    return read_workbook(file_name, content)


# --- An NHS workbook -----------------------------------------------------------------------------------


def _nhs_matrix():
    return _matrix_data(risk.MatrixTable.load(RiskMatrix.objects.get(name=nhs_matrix.NAME)))


def _where(message) -> str:
    place = [message.sheet] if message.sheet else []
    if message.row:
        place.append(f"row {message.row}")
    if message.column:
        place.append(f"column {message.column}")
    return f"{', '.join(place)}: {message.message}" if place else message.message


def read_workbook(file_name: str, content: bytes) -> Reading:
    """Any layout hazardlog's import reads. Ratings are looked up in the NHS matrix, which the template's own
    Risk Matrix sheet is (a workbook whose matrix differs is warned about cell by cell)."""
    try:
        guard.check_upload(file_name, content)
        parsed = reader.read_workbook(content, _nhs_matrix(), max_hazards=settings.HAZARDLOG_MAX_HAZARDS)
    except UploadRefused as refusal:
        raise SourceRefused([_where(refusal.message)]) from None
    if parsed.errors:
        raise SourceRefused([_where(message) for message in parsed.errors])
    cover = {
        key: value.isoformat() if isinstance(value, date) else str(value or "") for key, value in parsed.cover.items()
    }
    warnings = [_where(message) for message in parsed.warnings]
    if not parsed.hazards:
        warnings.insert(0, f"{parsed.sheet}: the sheet lists no hazards yet.")
    if parsed.layout == reader.CONSUMER:
        warnings.insert(
            0,
            "A consumer guidance log: the manufacturer gives no risk ratings. Each hazard is guidance the deploying "
            "organisation rates locally.",
        )
    return Reading(
        format=SourceFormat.WORKBOOK,
        layout=parsed.layout,
        hazards=[to_json(item.hazard) for item in parsed.hazards],
        cover=cover,
        warnings=warnings,
    )


# --- The JSON of an approved issue ---------------------------------------------------------------------


class _Checker:
    """Checks the JSON field by field; every problem is named by its path (hazards[2].controls[0].kind)."""

    def __init__(self):
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        if len(self.problems) < settings.HAZARDLOG_MAX_MESSAGES:
            self.problems.append(f"{path}: {message}")

    def text(self, data: dict, name: str, path: str, *, required=False, limit=CELL_MAX_CHARS) -> str:
        value = data.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(f"{path}.{name}", "must be text.")
            return ""
        if "\x00" in value:
            self.fail(f"{path}.{name}", "holds a NUL character, which cannot be stored.")
            return ""
        if required and not value.strip():
            self.fail(f"{path}.{name}", "is required.")
        if len(value) > limit:
            self.fail(f"{path}.{name}", f"has {len(value):,} characters; the most allowed is {limit:,}.")
            return ""
        return value

    def choice(self, data: dict, name: str, path: str, choices, default: str) -> str:
        value = data.get(name, default)
        if value not in choices:
            self.fail(f"{path}.{name}", f"must be one of {', '.join(repr(c) for c in choices)}, not {value!r}.")
            return default
        return value

    def number(self, data: dict, name: str, path: str) -> int:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 32_767:
            self.fail(f"{path}.{name}", "must be a whole number from 1.")
            return 0
        return value

    def listing(self, data: dict, name: str, path: str) -> list:
        value = data.get(name) or []
        if not isinstance(value, list):
            self.fail(f"{path}.{name}", "must be a list.")
            return []
        return value

    def day(self, data: dict, name: str, path: str) -> date | None:
        value = data.get(name)
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(f"{path}.{name}", "must be a date written YYYY-MM-DD.")
            return None

    def pairs(self, data: dict, name: str, path: str) -> tuple:
        pairs = []
        for n, item in enumerate(self.listing(data, name, path)):
            if not (isinstance(item, list) and len(item) == 2 and all(isinstance(v, str) for v in item)):
                self.fail(f"{path}.{name}[{n}]", "must be a [header, text] pair.")
                continue
            pairs.append(tuple(item))
        return tuple(pairs)

    def assessment(self, data: dict, name: str, path: str) -> AssessmentRow | None:
        value = data.get(name)
        if value is None:
            return None
        where = f"{path}.{name}"
        if not isinstance(value, dict):
            self.fail(where, "must be an object with severity, likelihood and rating, or null.")
            return None
        rating = value.get("rating")
        if isinstance(rating, bool) or not isinstance(rating, int):
            self.fail(f"{where}.rating", "must be a whole number.")
            rating = 0
        return AssessmentRow(
            severity=self.text(value, "severity", where, required=True, limit=SHORT),
            likelihood=self.text(value, "likelihood", where, required=True, limit=SHORT),
            rating=rating,
            rationale=self.text(value, "rationale", where),
            assessed_by=self.text(value, "assessed_by", where, limit=SHORT),
            assessed_at=self.day(value, "assessed_at", where),
        )

    def control(self, data, path: str) -> ControlRow | None:
        if not isinstance(data, dict):
            self.fail(path, "must be an object.")
            return None
        causes = self.listing(data, "cause_numbers", path)
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in causes):
            self.fail(f"{path}.cause_numbers", "must be a list of cause numbers.")
            causes = []
        return ControlRow(
            number=self.number(data, "number", path),
            description=self.text(data, "description", path, required=True),
            kind=self.choice(data, "kind", path, ControlKind.values, ControlKind.ADDITIONAL),
            control_type=self.choice(data, "control_type", path, ["", *ControlType.values], ""),
            owner=self.text(data, "owner", path, limit=SHORT),
            implementation_status=self.choice(
                data, "implementation_status", path, ImplementationStatus.values, ImplementationStatus.PROPOSED
            ),
            evidence=self.text(data, "evidence", path),
            evidence_url=self.text(data, "evidence_url", path, limit=500),
            source_id=self.text(data, "source_id", path, limit=SHORT),
            additional_columns=self.pairs(data, "additional_columns", path),
            cause_numbers=tuple(causes),
        )

    def hazard(self, data, path: str) -> HazardRow | None:
        if not isinstance(data, dict):
            self.fail(path, "must be an object.")
            return None
        causes = []
        for n, item in enumerate(self.listing(data, "causes", path)):
            where = f"{path}.causes[{n}]"
            if not isinstance(item, dict):
                self.fail(where, "must be an object.")
                continue
            causes.append(
                CauseRow(
                    self.number(item, "number", where),
                    self.text(item, "description", where, required=True),
                    self.text(item, "source_id", where, limit=20),
                )
            )
        controls = [
            self.control(item, f"{path}.controls[{n}]") for n, item in enumerate(self.listing(data, "controls", path))
        ]
        return HazardRow(
            reference=self.text(data, "reference", path, required=True, limit=REFERENCE_MAX_LENGTH),
            name=self.text(data, "name", path, required=True, limit=NAME_MAX),
            description=self.text(data, "description", path),
            clinical_impact=self.text(data, "clinical_impact", path),
            hazard_type=self.text(data, "hazard_type", path, limit=SHORT),
            owner=self.text(data, "owner", path, limit=SHORT),
            actions=self.text(data, "actions", path),
            status=self.choice(data, "status", path, HazardStatus.values, HazardStatus.OPEN),
            status_reason=self.text(data, "status_reason", path),
            raised_on=self.day(data, "raised_on", path),
            additional_columns=self.pairs(data, "additional_columns", path),
            causes=tuple(causes),
            controls=tuple(c for c in controls if c is not None),
            initial=self.assessment(data, "initial", path),
            residual=self.assessment(data, "residual", path),
        )


COVER_TEXT = (
    "name", "standard", "clinical_safety_officer", "programme", "sub_programme", "programme_director", "owner",
    "author", "document_reference", "document_status", "version", "purpose",
)  # fmt: skip


def read_issue_json(content: bytes) -> Reading:
    """The snapshot an approved issue's "JSON" download serves (hazardlog.snapshot.to_json)."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise SourceRefused([f"The file is not JSON ({error}). Upload the issue's JSON download as it is."]) from None
    if not isinstance(data, dict) or not isinstance(data.get("hazards"), list):
        raise SourceRefused(["hazards: the file has no list of hazards; it is not the JSON of an approved issue."])
    check = _Checker()
    if len(data["hazards"]) > settings.HAZARDLOG_MAX_HAZARDS:
        raise SourceRefused([f"hazards: more than {settings.HAZARDLOG_MAX_HAZARDS:,} hazards."])
    cover = {name: check.text(data, name, "$", limit=CELL_MAX_CHARS) for name in COVER_TEXT}
    day = check.day(data, "version_date", "$")
    cover["version_date"] = day.isoformat() if day else ""
    rows = [check.hazard(item, f"hazards[{n}]") for n, item in enumerate(data["hazards"])]
    seen: dict[str, int] = {}
    for n, row in enumerate(rows):
        if row is None or not row.reference:
            continue
        key = reference_key(row.reference)
        if key in seen:
            check.fail(f"hazards[{n}].reference", f"{row.reference} is also hazards[{seen[key]}].")
        seen.setdefault(key, n)
    if check.problems:
        raise SourceRefused(check.problems)
    warnings = [] if rows else ["hazards: the issue lists no hazards."]
    if cover["standard"] and cover["standard"] != "DCB0129":
        warnings.append(f"standard: the issue is of a {cover['standard']} log, not a manufacturer's (DCB0129).")
    listed = data.get("issues")
    issued = [item for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []
    if issued:
        cover["issue_number"] = str(issued[-1].get("number", ""))
    return Reading(
        format=SourceFormat.ISSUE_JSON,
        layout=ISSUE_JSON,
        hazards=[to_json(row) for row in rows],
        cover=cover,
        warnings=warnings,
    )
