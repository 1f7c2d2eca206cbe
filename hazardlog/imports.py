"""Importing an NHS hazard log workbook into a log, in two steps.

`preview_import` checks and reads the upload, compares it with the log field by field and records
the result (an ImportRecord holding the upload, so that `confirm_import` works on any app server).
`confirm_import` applies it in one transaction from the plan the preview kept (after checking the kept
upload's SHA-256 and that the log has not changed since the preview: then the plan is what reading the file
again would give); `cancel_import` drops it. `import_in_one_pass` is the command line's: guard, read,
validate, plan and write in one go, reading the file once. Hazards are matched by reference; only what the
file carries is compared and written; nothing is deleted (causes and controls no longer in the file
are withdrawn, hazards no longer in the file are only reported). Every write records history with
the importing user and a reason naming the file.

A workbook whose cover says it is another system's or another standard's log, or whose cover details differ
from the log's, is warned about field by field; the importer chooses to replace the log's cover page with
the workbook's (REPLACE_COVER) or to import the hazards only and leave it as it is (HAZARDS_ONLY).
"""

import dataclasses
import hashlib
import itertools
import json
import logging
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from hazardlog import history, risk
from hazardlog.collector import collector_paused
from hazardlog.models import (
    Cause,
    Control,
    Hazard,
    HazardLog,
    HazardStatus,
    ImportRecord,
    ImportStatus,
    RiskAssessment,
)
from hazardlog.snapshot import AssessmentRow, CauseRow, ControlRow, HazardRow, build_snapshot, to_json
from hazardlog.sorting import sort_text
from hazardlog.text import normalise_label, reference_key
from hazardlog.workbook import guard, layout, reader
from hazardlog.workbook.grid import UNSTORABLE
from hazardlog.workbook.guard import Message, Messages, UploadRefused
from hazardlog.workbook.layout import WORKING_VERSION
from hazardlog.workbook.numbering import BULLET
from hazardlog.workbook.writer import CSO_TITLE

logger = logging.getLogger(__name__)

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
BATCH = 2000  # hazards written per round of bulk writes: bounds memory; fewer rounds were faster (bench)
# The stored report is bounded whatever the file (the preview page reads it on every view): each side of a
# change is shown up to CHANGE_CHARS characters, and the changes of at most REPORTED_CHANGES fields in all.
CHANGE_CHARS = 2_000
REPORTED_CHANGES = 2_000

SCALAR_FIELDS = [
    ("reference", "Hazard number"),
    ("name", "Hazard name"),
    ("description", "Hazard description"),
    ("clinical_impact", "Potential clinical impact"),
    ("hazard_type", "Hazard type"),
    ("owner", "Owner"),
    ("actions", "Summary of actions/notes"),
    ("status", "Status"),
    ("status_reason", "Status reason"),
    ("raised_on", "Date raised"),
    ("additional_columns", "Additional columns"),
]
CONTROL_GROUPS = [
    ("existing", "Existing controls"),
    ("design", "Design controls"),
    ("test", "Test controls"),
    ("training", "Training controls"),
    ("bpc", "Business process change controls"),
]
STAGES = [("initial", "Initial risk"), ("residual", "Residual risk")]
# An assessment's details as the preview names them: the export's headers ("Initial risk rationale", …).
DETAIL_LABELS = {
    (stage, name): dict(layout.EXTRA_COLUMNS)[f"{stage}_{name}"]
    for stage, _ in STAGES
    for name in layout.ASSESSMENT_DETAILS
}
NO_ASSESSMENT = AssessmentRow(severity="", likelihood="", rating=0)  # the details an absent assessment has
COVER_LABELS = {key: label for label, key in layout.COVER_FIELDS} | {
    "clinical_safety_officer": layout.COVER_EXTRA_LABELS["clinical_safety_officer"]
}


# What an import does with the log's cover page (and its other log-level details: document history, kept
# sheets) when the workbook's differs: replace it, or import the hazards only.
REPLACE_COVER, HAZARDS_ONLY = "replace", "hazards_only"
COVER_CHOICES = (REPLACE_COVER, HAZARDS_ONLY)


class ImportRefused(Exception):
    """A confirm (or cancel) that cannot go ahead; the message says why, for the CSO."""


class CoverChoiceNeeded(ImportRefused):
    """The workbook's cover differs from the log's and no one has said whether to replace it: the preview
    stays open for that choice."""


# Comparison (plain data) ---------------------------------------------------------------------------


def _group_of(control) -> str:
    return "existing" if control.kind == "existing" else control.control_type


def _pairs(value) -> tuple:
    """Additional columns compared as the rows hold them (the database gives JSON lists)."""
    return tuple((header, text) for header, text in value or ())


def _render_pairs(pairs) -> str:
    return "\n".join(f"{header}: {text}" for header, text in pairs)


def _value(obj, name: str):
    """A field of a row or a model instance, comparable between the two."""
    value = getattr(obj, name)
    return _pairs(value) if name == "additional_columns" else value


def _control_items(controls, group: str, details: bool) -> list[tuple]:
    """The controls of one column as the workbook shows them: one (cause number, text, …) per cause answered."""
    items = []
    for control in controls:
        if _group_of(control) != group:
            continue
        extra = (
            (control.owner, control.implementation_status, control.evidence, control.source_id)
            + (_render_pairs(_pairs(control.additional_columns)),)
            if details
            else ()
        )
        for number in control.cause_numbers or (None,):
            items.append((number, control.description, *extra))
    return sorted(items, key=lambda item: (item[0] is None, item[0] or 0, item[1:]))


def _render_controls(items: list[tuple]) -> str:
    lines = []
    for number, text, *extra in items:
        line = f"{number}) {text}" if number is not None else f"{BULLET} {text}"
        if extra:
            owner, status, evidence, source_id, kept = extra
            line += f" [owner: {owner or '—'}; status: {status}; action: {evidence or '—'}"
            line += f"; id: {source_id}" if source_id else ""
            line += f"; {kept}" if kept else ""
            line += "]"
        lines.append(line)
    return "\n".join(lines)


def _cause_text(cause) -> str:
    return f"{cause.source_id} {cause.description}" if cause.source_id else cause.description


def _render_assessment(assessment) -> str:
    if assessment is None:
        return ""
    return f"{assessment.severity} × {assessment.likelihood} → {assessment.rating}"


def _status_label(value: str) -> str:
    return HazardStatus(value).label if value in HazardStatus.values else value


def hazard_changes(old: HazardRow, new: HazardRow, carries: frozenset[str]) -> list[dict]:
    """What applying `new` would change in `old`, field by field, limited to what the file carries."""
    changes = []
    for name, label in SCALAR_FIELDS:
        if name in carries and _value(old, name) != _value(new, name):
            before, after = _value(old, name), _value(new, name)
            if name == "status":
                before, after = _status_label(before), _status_label(after)
            elif name == "additional_columns":
                before, after = _render_pairs(before), _render_pairs(after)
            elif name == "raised_on":
                before, after = _plain(before), _plain(after)
            changes.append({"field": label, "old": before, "new": after})
    if "causes" in carries:
        before = {c.number: _cause_text(c) for c in old.causes}
        after = {c.number: _cause_text(c) for c in new.causes}
        for number in sorted(before.keys() | after.keys()):
            if before.get(number) != after.get(number):
                changes.append(
                    {"field": f"Cause {number}", "old": before.get(number, ""), "new": after.get(number, "")}
                )
    details = "controls.details" in carries
    for group, label in CONTROL_GROUPS:
        if f"controls.{group}" in carries:
            before = _control_items(old.controls, group, details)
            after = _control_items(new.controls, group, details)
            if before != after:
                changes.append({"field": label, "old": _render_controls(before), "new": _render_controls(after)})
    for stage, label in STAGES:
        before, after = getattr(old, stage), getattr(new, stage)
        if stage in carries and (
            before is None or (before.severity, before.likelihood) != (after.severity, after.likelihood)
        ):
            changes.append({"field": label, "old": _render_assessment(before), "new": _render_assessment(after)})
        for name in layout.ASSESSMENT_DETAILS:
            if f"{stage}.{name}" in carries:
                was, now = getattr(before or NO_ASSESSMENT, name), getattr(after, name)
                if was != now:
                    changes.append({"field": DETAIL_LABELS[stage, name], "old": _plain(was), "new": _plain(now)})
    return changes


# Preview ----------------------------------------------------------------------------------------------


def fingerprint(snapshot, log) -> str:
    """SHA-256 of the log as plain data, and of the numbers its hazards entered in error still hold (no part
    of the snapshot, but a preview's plan rests on them): any change to what the log holds changes it."""
    data = json.dumps(
        [to_json(snapshot), sorted(_entered_in_error(log))], sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(data.encode()).hexdigest()


def _change_reason(file_name: str, sha256: str) -> str:
    return f"Imported from {file_name} (SHA-256 {sha256[:12]}…)"


@dataclass
class _Plan:
    parsed: reader.ParsedLog
    actions: list[tuple[reader.ParsedHazard, str, list[dict]]] = field(default_factory=list)
    log_changes: list[dict] = field(default_factory=list)  # log fields that differ from the log's
    log_fields: dict = field(default_factory=dict)  # the log's fields as the workbook gives them
    missing: list[str] = field(default_factory=list)
    messages: Messages = field(default_factory=Messages)
    # Where the workbook's cover says another log, or differs from the log's: [{"field", "log", "workbook"}].
    cover_differences: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.messages.total("error")

    def report(self) -> dict:
        counts = Counter(action for _, action, _ in self.actions)
        budget = REPORTED_CHANGES
        hazards = []
        for p, action, changes in self.actions:
            shown = changes[: max(budget, 0)]
            budget -= len(shown)
            entry = {"reference": p.hazard.reference, "name": p.hazard.name, "action": action}
            entry["changes"] = [{**c, "old": _clipped(c["old"]), "new": _clipped(c["new"])} for c in shown]
            if len(shown) < len(changes):
                entry["changes_not_listed"] = len(changes) - len(shown)
            hazards.append(entry)
        return {
            "counts": {
                "create": counts[CREATE],
                "update": counts[UPDATE],
                "unchanged": counts[UNCHANGED],
                "missing_from_file": len(self.missing),
                "errors": self.errors,
                "warnings": self.messages.total("warning"),
            },
            "hazards": hazards,
            "missing_from_file": self.missing,
            "log_changes": [{**c, "old": _clipped(c["old"]), "new": _clipped(c["new"])} for c in self.log_changes],
            "cover_differences": [
                {**c, "log": _clipped(c["log"]), "workbook": _clipped(c["workbook"])} for c in self.cover_differences
            ],
            "messages": [m.as_json() for m in self.messages],
            "messages_not_listed": self.messages.omitted,
            "layout": self.parsed.layout,
            "sheet": self.parsed.sheet,
            "tally": self.parsed.tally.as_json(),
            "sources": self.parsed.sources,
        }


def _clipped(text) -> str:
    text = "" if text is None else str(text)
    if len(text) <= CHANGE_CHARS:
        return text
    return f"{text[:CHANGE_CHARS]}… ({len(text) - CHANGE_CHARS:,} more characters not shown here)"


def _entered_in_error(log) -> dict[str, str]:
    """Reference key → reference of the log's hazards entered in error: no part of the snapshot, but their
    numbers stay taken."""
    rows = Hazard.objects.filter(log=log, entered_in_error=True).values_list("reference_key", "reference")
    return dict(rows)


def _plan(
    snapshot, parsed: reader.ParsedLog, file_name: str, taken: dict[str, str] | None = None, new_log: bool = False
) -> _Plan:
    existing = {reference_key(row.reference): row for row in snapshot.hazards}
    taken = taken or {}
    plan = _Plan(parsed=parsed, messages=Messages(parsed.messages))
    in_file = set()
    for item in parsed.hazards:
        key = reference_key(item.hazard.reference)
        in_file.add(key)
        old = existing.get(key)
        if old is None and key in taken:
            plan.messages.append(
                Message(
                    "error",
                    f"Hazard {item.hazard.reference}: this number belongs to hazard {taken[key]}, which was marked "
                    "as entered in error in this log. Give the row another hazard number, or restore that hazard "
                    "first (on its page).",
                    parsed.sheet,
                    item.row,
                    item.columns.get("reference", ""),
                )
            )
        if old is None:
            plan.actions.append((item, CREATE, []))
        else:
            changes = hazard_changes(old, item.hazard, item.carries)
            plan.actions.append((item, UPDATE if changes else UNCHANGED, changes))
        closes = "status" in item.carries and item.hazard.status != HazardStatus.OPEN and not item.hazard.status_reason
        if closes and (old is None or old.status != item.hazard.status):
            plan.messages.append(
                Message(
                    "warning",
                    f"Hazard {item.hazard.reference} is {_status_label(item.hazard.status)} in the workbook, which "
                    f"gives no reason; the reason recorded is “{_status_reason(item.hazard.status, file_name)}”. "
                    "Edit it after the import if it needs more.",
                    parsed.sheet,
                    item.row,
                    item.columns.get("status", ""),
                )
            )
    plan.missing = [row.reference for key, row in existing.items() if key not in in_file]
    plan.log_fields = _log_fields(snapshot, parsed)
    plan.log_changes = [
        {"field": LOG_LABELS[name], "old": _plain(getattr(snapshot, name)), "new": _plain(value)}
        for name, value in plan.log_fields.items()
        if getattr(snapshot, name) != value
    ]
    plan.cover_differences = cover_differences(snapshot, parsed, new_log=new_log)
    for difference in plan.cover_differences:
        plan.messages.append(
            Message(
                "warning",
                f"The workbook's {difference['field']} is “{_clipped(difference['workbook'])}”; this log's is "
                f"“{_clipped(difference['log'])}”. {difference['why']} Choose whether to replace the log's cover "
                "page with the workbook's or to import the hazards only.",
                difference["sheet"],
                difference["row"],
                difference["column"],
            )
        )
    return plan


def _standard(text: str) -> str:
    return "".join(str(text).split()).upper()


def cover_differences(snapshot, parsed: reader.ParsedLog, new_log: bool = False) -> list[dict]:
    """Where the workbook's cover says it is another log's, or gives details that would overwrite the log's:
    the standard it follows (as far as the cover says), the system its title names (not for a log the import
    has just created under a name of the importer's choosing), and each cover field the log has filled in
    that the workbook gives differently. A field the log has left empty is filled in, not a difference."""
    differences = []

    def differ(label: str, old, new, why: str, sheet: str = "", cell: str = "") -> None:
        column = cell.rstrip("0123456789")
        row = int(cell[len(column) :]) if cell else None
        differences.append(
            {"field": label, "log": _plain(old), "workbook": _plain(new), "why": why}
            | {"sheet": sheet, "row": row, "column": column}
        )

    declared = parsed.declared
    if "standard" in declared and _standard(declared["standard"][0]) != _standard(snapshot.standard):
        differ(
            "Standard",
            snapshot.standard,
            declared["standard"][0],
            "It may be the other organisation's log (a manufacturer's DCB0129 log and a deploying organisation's "
            "DCB0160 log have different cover pages).",
            *declared["standard"][1:],
        )
    if (
        not new_log
        and "system" in declared
        and normalise_label(declared["system"][0]) != normalise_label(snapshot.name)
    ):
        differ(
            "System name",
            snapshot.name,
            declared["system"][0],
            "It may be another system's log.",
            *declared["system"][1:],
        )
    for name, value in parsed.cover.items():
        old = getattr(snapshot, name)
        if old not in ("", None) and old != value:
            differ(COVER_LABELS[name], old, value, "Importing the cover page would replace it.")
    return differences


LOG_LABELS = COVER_LABELS | {"document_history": "Document history", "kept_sheets": "Other sheets kept"}


def _log_fields(snapshot, parsed: reader.ParsedLog) -> dict:
    """The log's fields the workbook gives: its cover, its document history (less the rows our own export
    writes from the log's issues and Clinical Safety Officer, which the log holds already), its other sheets."""
    fields = dict(parsed.cover)
    if parsed.document_history is not None:
        own = {("amendment", i.number, i.meaning) for i in snapshot.issues}
        own |= {("approver", i.number, i.approved_by) for i in snapshot.issues}
        # The cover's CSO as the log will hold it after the import.
        own.add(("reviewer", "", fields.get("clinical_safety_officer", snapshot.clinical_safety_officer)))

        def is_own(row: dict) -> bool:
            if row["table"] == "amendment" and row["description"] == WORKING_VERSION:
                return True  # the export's row for the cover's version: the cover holds it
            text = row["description"] if row["table"] == "amendment" else row["name"]
            return (row["table"], row["version"], text) in own and row["role"] in ("", CSO_TITLE)

        fields["document_history"] = [row for row in parsed.document_history if not is_own(row)]
    fields["kept_sheets"] = parsed.kept_sheets
    return fields


def _plain(value) -> str:
    if isinstance(value, list):  # the document history or the kept sheets
        return f"{len(value)} entries" if value and "table" in value[0] else f"{len(value)} sheets"
    return "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)


def _status_reason(status: str, file_name: str) -> str:
    return f"{_status_label(status)} in the imported workbook {file_name}."


def _read(log, file_name: str, content: bytes):
    """(snapshot of the log, parsed workbook); raises UploadRefused."""
    guard.check_upload(file_name, content)
    snapshot = build_snapshot(log)
    parsed = reader.read_workbook(
        content, snapshot.matrix, max_hazards=settings.HAZARDLOG_MAX_HAZARDS, log_name=snapshot.name
    )
    return snapshot, parsed


def _refused_report(message: Message) -> dict:
    return {
        "counts": {"create": 0, "update": 0, "unchanged": 0, "missing_from_file": 0, "errors": 1, "warnings": 0},
        "hazards": [],
        "missing_from_file": [],
        "log_changes": [],
        "messages": [message.as_json()],
        "layout": "",
        "sheet": message.sheet,
    }


def _new_record(log, file_name: str, content: bytes, user) -> ImportRecord:
    return ImportRecord(
        log=log,
        user=user,
        file_name=UNSTORABLE.sub("", file_name or "")[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


def preview_import(log, file_name: str, content: bytes, user) -> ImportRecord:
    """Check and read the upload and record what confirming it would do, with the plan to apply (so that
    confirming does not read the file again). Writes only the ImportRecord."""
    record = _new_record(log, file_name, content, user)
    try:
        with collector_paused():
            snapshot, parsed = _read(log, file_name, content)
            plan = _plan(snapshot, parsed, record.file_name, _entered_in_error(log))
    except UploadRefused as refusal:
        record.status = ImportStatus.REFUSED
        record.report = _refused_report(refusal.message)
    else:
        record.report = plan.report()
        record.base_fingerprint = fingerprint(snapshot, log)
        if plan.errors:
            record.status = ImportStatus.REFUSED
        else:
            record.status = ImportStatus.PREVIEWED
            record.content = content
            with collector_paused():
                record.plan = _plan_bytes(plan, record.sha256)
    record.counts = record.report["counts"]
    record.save()
    return record


def import_in_one_pass(
    log, file_name: str, content: bytes, user, *, cover: str | None = None, new_log: bool = False, write: bool = True
) -> ImportRecord:
    """The command line's import, reading the file once: guard, read, validate, plan and write, in one
    transaction, the log locked meanwhile. Returns the ImportRecord: APPLIED (and saved) when written;
    REFUSED when the file has errors; PREVIEWED when `write` is false, or when the workbook's cover differs
    from the log's and `cover` does not say what to do (see `cover_differences`): neither is saved."""
    record = _new_record(log, file_name, content, user)
    with transaction.atomic(), collector_paused():
        log = HazardLog.objects.select_for_update().get(pk=log.pk)
        record.log = log
        try:
            snapshot, parsed = _read(log, file_name, content)
            plan = _plan(snapshot, parsed, record.file_name, _entered_in_error(log), new_log=new_log)
        except UploadRefused as refusal:
            record.status, record.report = ImportStatus.REFUSED, _refused_report(refusal.message)
        else:
            record.report = plan.report()
            if plan.errors:
                record.status = ImportStatus.REFUSED
            elif not write or (plan.cover_differences and cover not in COVER_CHOICES):
                record.status = ImportStatus.PREVIEWED
            else:
                creates, updates = _split(plan)
                _write(log, user, record, creates, updates, plan.log_fields if plan.log_changes else None, cover)
                record.status, record.applied_at = ImportStatus.APPLIED, timezone.now()
        record.counts = record.report["counts"]
        if record.status == ImportStatus.APPLIED:
            record.save()
    return record


def _split(plan: _Plan) -> tuple[list[reader.ParsedHazard], list[reader.ParsedHazard]]:
    creates = [item for item, action, _ in plan.actions if action == CREATE]
    updates = [item for item, action, _ in plan.actions if action == UPDATE]
    return creates, updates


def _write(log, user, record: ImportRecord, creates, updates, log_fields: dict | None, cover: str | None) -> None:
    """Apply a plan: the log's cover page (unless HAZARDS_ONLY), new hazards in bulk, changed ones one by one."""
    writer = _Writer(log, user, record.file_name, _change_reason(record.file_name, record.sha256))
    if log_fields and cover != HAZARDS_ONLY:
        writer.update_log(log_fields)
    writer.create(creates)
    for item in updates:
        writer.update(item)
    record.report["applied_by"] = user.get_username() if user else ""
    record.report["cover"] = cover or ""


# The plan a preview keeps for its confirm ------------------------------------------------------------------
#
# What the writer needs and nothing else: the new hazards' rows, the changed hazards' rows with what the file
# carries for them, and the log's fields. zlib-compressed JSON (never pickle: the database is not trusted to
# run code), tagged with its format and the SHA-256 of the upload it was read from. Confirm uses it only
# after checking the kept upload against that SHA-256 and the log against the preview's fingerprint: the log
# and the file being the same, reading the file again would give the same plan.

PLAN_FORMAT = 1
_ROW_FIELDS = {cls: [f.name for f in dataclasses.fields(cls)] for cls in (CauseRow, ControlRow, AssessmentRow)}
_HAZARD_SCALARS = [
    f.name for f in dataclasses.fields(HazardRow) if f.name not in ("causes", "controls", "initial", "residual")
]
_DATES = {"raised_on", "assessed_at", "version_date"}
_PAIRS = {"additional_columns"}


def _to_json(value):
    return value.isoformat() if isinstance(value, date) else value


def _from_json(name: str, value):
    if name in _DATES:
        return None if value is None else date.fromisoformat(value)
    if name in _PAIRS:
        return tuple(tuple(pair) for pair in value)
    if name == "cause_numbers":
        return tuple(value)
    return value


def _row_json(row: HazardRow) -> list:
    def plain(obj):
        return None if obj is None else [_to_json(getattr(obj, name)) for name in _ROW_FIELDS[type(obj)]]

    return [
        [_to_json(getattr(row, name)) for name in _HAZARD_SCALARS],
        [plain(cause) for cause in row.causes],
        [plain(control) for control in row.controls],
        plain(row.initial),
        plain(row.residual),
    ]


def _row_from_json(data: list) -> HazardRow:
    scalars, causes, controls, initial, residual = data

    def made(cls, values):
        if values is None:
            return None
        return cls(**{name: _from_json(name, value) for name, value in zip(_ROW_FIELDS[cls], values, strict=True)})

    return HazardRow(
        **{name: _from_json(name, value) for name, value in zip(_HAZARD_SCALARS, scalars, strict=True)},
        causes=tuple(made(CauseRow, c) for c in causes),
        controls=tuple(made(ControlRow, c) for c in controls),
        initial=made(AssessmentRow, initial),
        residual=made(AssessmentRow, residual),
    )


def _plan_bytes(plan: _Plan, sha256: str) -> bytes:
    creates, updates = _split(plan)
    data = {
        "format": PLAN_FORMAT,
        "sha256": sha256,
        "create": [_row_json(item.hazard) for item in creates],
        "update": [[_row_json(item.hazard), sorted(item.carries)] for item in updates],
        "log_fields": {k: _to_json(v) for k, v in plan.log_fields.items()} if plan.log_changes else None,
    }
    # Encoded and compressed piece by piece: the whole JSON text of a large plan is never held at once.
    packer, out, pending, size = zlib.compressobj(1), bytearray(), [], 0
    for piece in _ENCODER.iterencode(data):
        pending.append(piece)
        size += len(piece)
        if size > 1 << 20:
            out += packer.compress("".join(pending).encode())
            pending, size = [], 0
    out += packer.compress("".join(pending).encode())
    out += packer.flush()
    return bytes(out)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _kept_plan(record: ImportRecord):
    """(new hazards, changed hazards, log fields or None) from the preview's plan, or None when the record
    keeps none this code can use (made by an earlier release, or for another upload): then the file is read
    again."""
    try:
        data = json.loads(zlib.decompress(bytes(record.plan or b"")))
    except (zlib.error, ValueError):
        return None
    if data.get("format") != PLAN_FORMAT or data.get("sha256") != record.sha256:
        return None

    def item(row, carries=()):
        return reader.ParsedHazard(hazard=_row_from_json(row), row=0, carries=frozenset(carries))

    fields = data["log_fields"]
    return (
        [item(row) for row in data["create"]],
        [item(row, carries) for row, carries in data["update"]],
        None if fields is None else {name: _from_json(name, value) for name, value in fields.items()},
    )


# Confirm and cancel ------------------------------------------------------------------------------------


def confirm_import(record: ImportRecord, user, cover: str | None = REPLACE_COVER) -> ImportRecord:
    """Apply a previewed import in one transaction. Raises ImportRefused (and writes nothing to the log)
    if it was not previewed cleanly, or if the log changed since the preview; CoverChoiceNeeded (the
    preview stays open) if the workbook's cover differs from the log's and `cover` is None. The pages pass
    the importer's choice (the preview asks for it when the covers differ)."""
    try:
        with transaction.atomic(), collector_paused():
            locked = ImportRecord.objects.select_for_update().select_related("log").get(pk=record.pk)
            _check_can_apply(locked)
            _apply(locked, user, cover)
    except CoverChoiceNeeded:
        raise
    except ImportRefused as refusal:
        _refuse(record, str(refusal))
        raise
    except DatabaseError:
        logger.exception("Import %s could not be applied", record.pk)
        message = (
            "The import could not be saved (the database refused it); nothing was changed. Please report it "
            "with the file; uploading it again will not help."
        )
        _refuse(record, message)
        raise ImportRefused(message) from None
    record.refresh_from_db()
    return record


def _check_can_apply(record: ImportRecord) -> None:
    if record.status == ImportStatus.REFUSED:
        raise ImportRefused(
            "This import had errors, so it cannot be applied. Correct the workbook and upload it again."
        )
    if record.status != ImportStatus.PREVIEWED:
        raise ImportRefused(f"This import was already {record.get_status_display().lower()}; upload the file again.")


def _refuse(record: ImportRecord, message: str) -> None:
    """Mark a preview that can no longer be applied (kept for the record; the upload is dropped)."""
    current = ImportRecord.objects.get(pk=record.pk)
    if current.status != ImportStatus.PREVIEWED:
        return
    report = dict(current.report)
    report["messages"] = [*report.get("messages", []), Message("error", message).as_json()]
    report["counts"] = {**report.get("counts", {}), "errors": report.get("counts", {}).get("errors", 0) + 1}
    current.report, current.counts = report, report["counts"]
    current.status, current.content, current.plan = ImportStatus.REFUSED, b"", b""
    current.save(update_fields=["report", "counts", "status", "content", "plan"])
    record.refresh_from_db()


def cancel_import(record: ImportRecord, user) -> ImportRecord:
    with transaction.atomic():
        locked = ImportRecord.objects.select_for_update().get(pk=record.pk)
        if locked.status != ImportStatus.PREVIEWED:
            raise ImportRefused(f"This import was already {locked.get_status_display().lower()}.")
        locked.status, locked.content, locked.plan = ImportStatus.CANCELLED, b"", b""
        locked.report = {**locked.report, "cancelled_by": user.get_username() if user else ""}
        locked.save(update_fields=["status", "content", "plan", "report"])
    record.refresh_from_db()
    return record


def expire_previews(older_than) -> int:
    """Cancel the previews left unconfirmed since before `older_than`, dropping their kept upload; the
    records stay (with their report) as the trail of what was uploaded. Returns how many were cancelled."""
    stale = ImportRecord.objects.filter(status=ImportStatus.PREVIEWED, created_at__lt=older_than)
    cancelled = 0
    for pk in stale.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            locked = ImportRecord.objects.select_for_update().filter(pk=pk, status=ImportStatus.PREVIEWED).first()
            if locked is None:  # confirmed or cancelled meanwhile
                continue
            locked.status, locked.content, locked.plan = ImportStatus.CANCELLED, b"", b""
            locked.report = {**locked.report, "cancelled_by": "", "expired": True}
            locked.save(update_fields=["status", "content", "plan", "report"])
            cancelled += 1
    return cancelled


def _apply(record: ImportRecord, user, cover: str | None) -> None:
    log = HazardLog.objects.select_for_update().get(pk=record.log_id)
    content = bytes(record.content)
    if hashlib.sha256(content).hexdigest() != record.sha256:
        raise ImportRefused("The kept upload does not match its checksum; upload the file again.")
    snapshot = build_snapshot(log)
    if fingerprint(snapshot, log) != record.base_fingerprint:
        raise ImportRefused(
            "The log has changed since this preview (someone edited it, imported into it or approved an issue). "
            "Upload the file again to see a fresh preview."
        )
    report = dict(record.report)
    kept = _kept_plan(record)
    if kept is None:  # no plan kept: read the file again
        try:
            guard.check_upload(record.file_name, content)
            parsed = reader.read_workbook(
                content, snapshot.matrix, max_hazards=settings.HAZARDLOG_MAX_HAZARDS, log_name=snapshot.name
            )
        except UploadRefused as refusal:
            raise ImportRefused(refusal.message.message) from None
        plan = _plan(snapshot, parsed, record.file_name, _entered_in_error(log))
        if plan.errors:
            raise ImportRefused(
                "This import has errors, so it cannot be applied. Correct the workbook and upload it again."
            )
        report = plan.report()
        kept = (*_split(plan), plan.log_fields if plan.log_changes else None)
    if report.get("cover_differences") and cover not in COVER_CHOICES:
        raise CoverChoiceNeeded(
            "The workbook's cover page differs from the log's ("
            + "; ".join(f"{d['field']}: “{d['workbook']}”, the log's “{d['log']}”" for d in report["cover_differences"])
            + "). Choose whether to replace the log's cover page or to import the hazards only."
        )
    record.report = report
    creates, updates, log_fields = kept
    _write(log, user, record, creates, updates, log_fields, cover)
    record.counts = record.report["counts"]
    record.status, record.content, record.plan, record.applied_at = ImportStatus.APPLIED, b"", b"", timezone.now()
    record.save(update_fields=["report", "counts", "status", "content", "plan", "applied_at"])


# Writing ------------------------------------------------------------------------------------------------


class _Writer:
    """Writes hazards through simple-history: bulk helpers for new hazards, save() for changes."""

    def __init__(self, log, user, file_name: str, reason: str):
        self.log = log
        self.user = user
        self.file_name = file_name
        self.reason = reason
        self.table = risk.MatrixTable.load(log.matrix)
        self.when = timezone.now()  # one moment for every history row the import writes
        self.today = timezone.localdate(self.when)

    def _levels(self, assessment):
        severity = self.table.severity_named(assessment.severity)
        likelihood = self.table.likelihood_named(assessment.likelihood)
        return severity, likelihood, self.table.rating(severity, likelihood)

    def _save(self, obj) -> None:
        obj._change_reason, obj._history_user, obj._history_date = self.reason, self.user, self.when
        obj.save()

    def _insert(self, model, columns, rows, key: tuple[str, ...], **history_values) -> dict[tuple, int]:
        return history.insert_with_history(
            model,
            columns,
            rows,
            key=key,
            user=self.user,
            reason=self.reason,
            when=self.when,
            history_values=history_values,
        )

    def update_log(self, cover: dict) -> None:
        for name, value in cover.items():
            setattr(self.log, name, value)
        self._save(self.log)

    # New hazards: in bulk, with the creation history of every object and of each control's causes, in plain
    # SQL (hazardlog.history.insert_with_history: what simple-history's bulk helper writes, several times faster).

    def create(self, items: list[reader.ParsedHazard]) -> None:
        for start in range(0, len(items), BATCH):
            self._create_batch(items[start : start + BATCH])

    def _create_batch(self, items) -> None:
        rows = [item.hazard for item in items]
        # Revision 0 while their causes, controls and assessments are written: SQLite's revision triggers leave
        # such a hazard alone (migration 0013), rather than update it once per row written under it. Its
        # history records the revision a new hazard has, and the hazard has it once its rows are written.
        found = self._insert(
            Hazard, HAZARD_COLUMNS, [self._hazard_values(row) for row in rows], ("reference_key",), revision=1
        )
        ids = [found[(reference_key(row.reference),)] for row in rows]
        causes = self._insert(
            Cause,
            ["hazard_id", "number", "description", "source_id"],
            [(h, c.number, c.description, c.source_id) for h, row in zip(ids, rows, strict=True) for c in row.causes],
            ("hazard_id", "number"),
        )
        pending = [(h, control) for h, row in zip(ids, rows, strict=True) for control in row.controls]
        controls = self._insert(
            Control, CONTROL_COLUMNS, [self._control_values(h, c) for h, c in pending], ("hazard_id", "number")
        )
        history.link_with_history(
            Control._meta.get_field("causes"),
            [(controls[(h, c.number)], causes[(h, number)]) for h, c in pending for number in c.cause_numbers],
        )
        assessments = []
        for h, row in zip(ids, rows, strict=True):
            for stage in ("initial", "residual"):
                if (assessment := getattr(row, stage)) is not None:
                    severity, likelihood, rating = self._levels(assessment)
                    details = [getattr(assessment, name) for name in layout.ASSESSMENT_DETAILS]
                    assessments.append((h, stage, severity.id, likelihood.id, rating.id, *details))
        self._insert(
            RiskAssessment,
            ["hazard_id", "stage", "severity_id", "likelihood_id", "rating_id", *layout.ASSESSMENT_DETAILS],
            assessments,
            ("hazard_id", "stage"),
        )
        _set_revision(ids, 1)

    def _hazard_values(self, row: HazardRow) -> tuple:
        # As Hazard.save() would set them (the reader has normalised the reference); see HAZARD_COLUMNS.
        return (
            self.log.id,
            row.reference,
            reference_key(row.reference),
            sort_text(row.reference),
            row.name,
            row.description,
            row.clinical_impact,
            row.hazard_type,
            row.owner,
            row.actions,
            row.status,
            row.status_reason
            or ("" if row.status == HazardStatus.OPEN else _status_reason(row.status, self.file_name)),
            [list(pair) for pair in row.additional_columns],
            row.raised_on or self.today,  # without a date in the file: the day of the import, as a new hazard has
            0,  # the revision, until the hazard's rows are written
        )

    @staticmethod
    def _control_values(hazard_id: int, row: ControlRow) -> tuple:
        return (
            hazard_id,
            row.number,
            row.description,
            row.kind,
            row.control_type,
            row.owner,
            row.implementation_status,
            row.evidence,
            row.evidence_url,
            row.source_id,
            [list(pair) for pair in row.additional_columns],
        )

    @staticmethod
    def _new_control(hazard, row) -> Control:
        return Control(
            hazard_id=hazard.id,
            number=row.number,
            description=row.description,
            kind=row.kind,
            control_type=row.control_type,
            owner=row.owner,
            implementation_status=row.implementation_status,
            evidence=row.evidence,
            evidence_url=row.evidence_url,
            source_id=row.source_id,
            additional_columns=[list(pair) for pair in row.additional_columns],
        )

    # Changed hazards: one object at a time through save().

    def update(self, item: reader.ParsedHazard) -> None:
        row, carries = item.hazard, item.carries
        hazard = Hazard.objects.prefetch_related("causes", "controls__causes", "assessments").get(
            log=self.log, reference_key=reference_key(row.reference)
        )
        self._update_fields(hazard, row, carries)
        if "causes" in carries:
            active_causes = self._update_causes(hazard, row)
        else:
            active_causes = {c.number: c for c in hazard.causes.all() if not c.withdrawn}
        # New controls of every column share one sequence of numbers within the hazard.
        new_numbers = itertools.count(max((c.number for c in hazard.controls.all()), default=0) + 1)
        for group, _ in CONTROL_GROUPS:
            if f"controls.{group}" in carries:
                self._update_controls(hazard, row, group, "controls.details" in carries, active_causes, new_numbers)
        for stage, _ in STAGES:
            if stage in carries:
                details = [name for name in layout.ASSESSMENT_DETAILS if f"{stage}.{name}" in carries]
                self._update_assessment(hazard, stage, getattr(row, stage), details)

    def _update_fields(self, hazard, row, carries) -> None:
        changed = False
        for name, _ in SCALAR_FIELDS:
            if name in carries and _value(hazard, name) != _value(row, name):
                setattr(hazard, name, _stored(row, name))
                changed = True
                if name == "status" and "status_reason" not in carries:
                    # A reopened hazard keeps no reason for a status it no longer has.
                    hazard.status_reason = (
                        "" if row.status == HazardStatus.OPEN else _status_reason(row.status, self.file_name)
                    )
        if hazard.status != HazardStatus.OPEN and not hazard.status_reason:
            hazard.status_reason, changed = _status_reason(hazard.status, self.file_name), True
        if changed:
            self._save(hazard)

    def _update_causes(self, hazard, row) -> dict[int, Cause]:
        by_number = {c.number: c for c in hazard.causes.all()}
        wanted = {c.number: c for c in row.causes}
        for number, new in wanted.items():
            cause = by_number.get(number)
            if cause is None:
                by_number[number] = cause = Cause(
                    hazard=hazard, number=number, description=new.description, source_id=new.source_id
                )
                self._save(cause)
            elif cause.withdrawn or (cause.description, cause.source_id) != (new.description, new.source_id):
                cause.description, cause.source_id, cause.withdrawn, cause.withdrawn_reason = (
                    new.description,
                    new.source_id,
                    False,
                    "",
                )
                self._save(cause)
        for number, cause in by_number.items():
            if number not in wanted and not cause.withdrawn:
                cause.withdrawn, cause.withdrawn_reason = True, f"Not in the imported workbook {self.file_name}."
                self._save(cause)
        return {number: by_number[number] for number in wanted}

    def _update_controls(self, hazard, row, group: str, details: bool, causes: dict[int, Cause], new_numbers) -> None:
        """Match the column's controls to the log's: same text and causes, then same text (causes
        changed), then same causes (text edited). The file's others are new; the log's others are withdrawn."""
        remaining = [c for c in hazard.controls.all() if not c.withdrawn and _group_of(c) == group]
        wanted = [c for c in row.controls if _group_of(c) == group]

        def numbers(control) -> tuple:
            return tuple(
                sorted(c.number for c in control.causes.all() if getattr(causes.get(c.number), "id", 0) == c.id)
            )

        fields = DETAIL_FIELDS if details else ("description",)

        def same_text(old, new) -> bool:
            return all(_value(old, name) == _value(new, name) for name in fields)

        pairs, unmatched = [], list(wanted)
        for matches in (
            lambda old, new: same_text(old, new) and numbers(old) == new.cause_numbers,
            same_text,
            lambda old, new: numbers(old) == new.cause_numbers,
        ):
            for new in list(unmatched):
                old = next((old for old in remaining if matches(old, new)), None)
                if old is not None:
                    remaining.remove(old)
                    unmatched.remove(new)
                    pairs.append((old, new))
        for new in unmatched:
            control = self._new_control(hazard, new)
            control.number = next(new_numbers)
            self._save(control)
            pairs.append((control, new))
        for old, new in pairs:
            if old.pk and not same_text(old, new):
                for name in fields:
                    setattr(old, name, _stored(new, name))
                self._save(old)
            wanted_causes = [causes[n] for n in new.cause_numbers]
            if {c.id for c in old.causes.all()} != {c.id for c in wanted_causes}:  # also drops withdrawn causes
                old._change_reason, old._history_user, old._history_date = self.reason, self.user, self.when
                old.causes.set(wanted_causes)
        for old in remaining:
            old.withdrawn, old.withdrawn_reason = True, f"Not in the imported workbook {self.file_name}."
            self._save(old)

    def _update_assessment(self, hazard, stage: str, row, details: list[str]) -> None:
        """The stage's levels, and those of its details (rationale, assessor, date) the file carries."""
        assessment = next((a for a in hazard.assessments.all() if a.stage == stage), None)
        severity, likelihood, _ = self._levels(row)
        if assessment is None:
            assessment = RiskAssessment(hazard=hazard, stage=stage)
        elif (assessment.severity_id, assessment.likelihood_id) == (severity.id, likelihood.id) and all(
            getattr(assessment, name) == getattr(row, name) for name in details
        ):
            return
        assessment.severity, assessment.likelihood = severity, likelihood
        for name in details:
            setattr(assessment, name, getattr(row, name))
        self._save(assessment)


HAZARD_COLUMNS = [
    "log_id",
    "reference",
    "reference_key",
    "reference_sort",
    "name",
    "description",
    "clinical_impact",
    "hazard_type",
    "owner",
    "actions",
    "status",
    "status_reason",
    "additional_columns",
    "raised_on",
    "revision",
]
CONTROL_COLUMNS = [
    "hazard_id",
    "number",
    "description",
    "kind",
    "control_type",
    "owner",
    "implementation_status",
    "evidence",
    "evidence_url",
    "source_id",
    "additional_columns",
]
DETAIL_FIELDS = (
    "description",
    "owner",
    "implementation_status",
    "evidence",
    "evidence_url",
    "source_id",
    "additional_columns",
)


def _stored(row, name: str):
    """A row's field as the model stores it (additional columns as JSON lists)."""
    value = getattr(row, name)
    return [list(pair) for pair in value] if name == "additional_columns" else value


def _set_revision(hazard_ids: list[int], revision: int) -> None:
    """Set the revision of hazards this import has just created. The revision is a concurrency token that
    the database moves without history by design (migration 0008), so this writes none."""
    if connection.vendor == "postgresql":
        _set_revision_and_documents(hazard_ids, revision)
        return
    quote = connection.ops.quote_name
    size = history._rows_per_statement(1)
    with connection.cursor() as cursor:
        for start in range(0, len(hazard_ids), size):
            batch = hazard_ids[start : start + size]
            cursor.execute(
                f"UPDATE {quote(Hazard._meta.db_table)} SET {quote('revision')} = %s "  # noqa: S608
                f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(batch))})",
                [revision, *batch],
            )


# Planner settings for one statement: parallel workers even for a few thousand rows (the defaults wait for
# 8 MB of table), since each row costs a full-text document.
_PARALLEL = (
    "parallel_setup_cost",
    "parallel_tuple_cost",
    "min_parallel_table_scan_size",
    "min_parallel_index_scan_size",
)


def _set_revision_and_documents(hazard_ids: list[int], revision: int) -> None:
    """PostgreSQL: the new hazards' full-text documents computed by one SELECT that parallel workers share, then
    set with the revision (the row trigger keeps a document given on leaving revision 0: migration 0014).
    Computed one by one by the trigger, they were a quarter of a 5,000-hazard import's time."""
    with transaction.atomic(), connection.cursor() as cursor:  # SET LOCAL and the table last as long as it
        cursor.execute("; ".join(f"SET LOCAL {name} = 0" for name in _PARALLEL))
        cursor.execute(
            "CREATE TEMPORARY TABLE hazardlog_new_documents ON COMMIT DROP AS "
            "SELECT h.id, hazardlog_search_document(h) AS document FROM hazardlog_hazard h WHERE h.id = ANY(%s)",
            [list(hazard_ids)],
        )
        cursor.execute("; ".join(f"SET LOCAL {name} TO DEFAULT" for name in _PARALLEL))
        cursor.execute(
            "UPDATE hazardlog_hazard h SET revision = %s, search_document = d.document "
            "FROM hazardlog_new_documents d WHERE h.id = d.id",
            [revision],
        )
        cursor.execute("DROP TABLE hazardlog_new_documents")
