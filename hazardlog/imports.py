"""Importing an NHS hazard log workbook into a log, in two steps.

`preview_import` checks and reads the upload, compares it with the log field by field and records
the result (an ImportRecord holding the upload, so that `confirm_import` works on any app server).
`confirm_import` reads the kept upload again and applies it in one transaction, refusing if the log
changed since the preview; `cancel_import` drops it. Hazards are matched by reference; only what the
file carries is compared and written; nothing is deleted (causes and controls no longer in the file
are withdrawn, hazards no longer in the file are only reported). Every write records history with
the importing user and a reason naming the file.
"""

import hashlib
import itertools
import json
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from hazardlog import risk
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
from hazardlog.snapshot import HazardRow, build_snapshot, to_json
from hazardlog.sorting import sort_text
from hazardlog.text import reference_key
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
COVER_LABELS = {key: label for label, key in layout.COVER_FIELDS} | {
    "clinical_safety_officer": layout.COVER_EXTRA_LABELS["clinical_safety_officer"]
}


class ImportRefused(Exception):
    """A confirm (or cancel) that cannot go ahead; the message says why, for the CSO."""


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
    return changes


# Preview ----------------------------------------------------------------------------------------------


def fingerprint(snapshot) -> str:
    """SHA-256 of the log as plain data: any change to what the log holds changes it."""
    data = json.dumps(to_json(snapshot), sort_keys=True, ensure_ascii=False, default=str)
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


def _plan(snapshot, parsed: reader.ParsedLog, file_name: str, taken: dict[str, str] | None = None) -> _Plan:
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
        closes = "status" in item.carries and item.hazard.status != HazardStatus.OPEN
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
    return plan


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


def preview_import(log, file_name: str, content: bytes, user) -> ImportRecord:
    """Check and read the upload and record what confirming it would do. Writes only the ImportRecord."""
    record = ImportRecord(
        log=log,
        user=user,
        file_name=UNSTORABLE.sub("", file_name or "")[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )
    try:
        with collector_paused():
            snapshot, parsed = _read(log, file_name, content)
            plan = _plan(snapshot, parsed, record.file_name, _entered_in_error(log))
    except UploadRefused as refusal:
        record.status = ImportStatus.REFUSED
        record.report = _refused_report(refusal.message)
    else:
        record.report = plan.report()
        record.base_fingerprint = fingerprint(snapshot)
        if plan.errors:
            record.status = ImportStatus.REFUSED
        else:
            record.status = ImportStatus.PREVIEWED
            record.content = content
    record.counts = record.report["counts"]
    record.save()
    return record


# Confirm and cancel ------------------------------------------------------------------------------------


def confirm_import(record: ImportRecord, user) -> ImportRecord:
    """Apply a previewed import in one transaction. Raises ImportRefused (and writes nothing to the log)
    if it was not previewed cleanly, or if the log changed since the preview."""
    try:
        with transaction.atomic(), collector_paused():
            locked = ImportRecord.objects.select_for_update().select_related("log").get(pk=record.pk)
            _check_can_apply(locked)
            _apply(locked, user)
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
    current.status, current.content = ImportStatus.REFUSED, b""
    current.save(update_fields=["report", "counts", "status", "content"])
    record.refresh_from_db()


def cancel_import(record: ImportRecord, user) -> ImportRecord:
    with transaction.atomic():
        locked = ImportRecord.objects.select_for_update().get(pk=record.pk)
        if locked.status != ImportStatus.PREVIEWED:
            raise ImportRefused(f"This import was already {locked.get_status_display().lower()}.")
        locked.status, locked.content = ImportStatus.CANCELLED, b""
        locked.report = {**locked.report, "cancelled_by": user.get_username() if user else ""}
        locked.save(update_fields=["status", "content", "report"])
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
            locked.status, locked.content = ImportStatus.CANCELLED, b""
            locked.report = {**locked.report, "cancelled_by": "", "expired": True}
            locked.save(update_fields=["status", "content", "report"])
            cancelled += 1
    return cancelled


def _apply(record: ImportRecord, user) -> None:
    log = HazardLog.objects.select_for_update().get(pk=record.log_id)
    content = bytes(record.content)
    if hashlib.sha256(content).hexdigest() != record.sha256:
        raise ImportRefused("The kept upload does not match its checksum; upload the file again.")
    try:
        snapshot, parsed = _read(log, record.file_name, content)
    except UploadRefused as refusal:
        raise ImportRefused(refusal.message.message) from None
    if fingerprint(snapshot) != record.base_fingerprint:
        raise ImportRefused(
            "The log has changed since this preview (someone edited it, imported into it or approved an issue). "
            "Upload the file again to see a fresh preview."
        )
    plan = _plan(snapshot, parsed, record.file_name, _entered_in_error(log))
    if plan.errors:
        raise ImportRefused(
            "This import has errors, so it cannot be applied. Correct the workbook and upload it again."
        )
    writer = _Writer(log, user, record.file_name, _change_reason(record.file_name, record.sha256))
    if plan.log_changes:
        writer.update_log(plan.log_fields)
    writer.create([item for item, action, _ in plan.actions if action == CREATE])
    for item, action, _ in plan.actions:
        if action == UPDATE:
            writer.update(item)
    report = plan.report()
    report["applied_by"] = user.get_username() if user else ""
    record.report, record.counts = report, report["counts"]
    record.status, record.content, record.applied_at = ImportStatus.APPLIED, b"", timezone.now()
    record.save(update_fields=["report", "counts", "status", "content", "applied_at"])


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

    def _levels(self, assessment):
        severity = self.table.severity_named(assessment.severity)
        likelihood = self.table.likelihood_named(assessment.likelihood)
        return severity, likelihood, self.table.rating(severity, likelihood)

    def _save(self, obj) -> None:
        obj._change_reason, obj._history_user, obj._history_date = self.reason, self.user, self.when
        obj.save()

    def _bulk(self, objs, model):
        return bulk_create_with_history(
            objs,
            model,
            batch_size=BATCH,
            default_user=self.user,
            default_change_reason=self.reason,
            default_date=self.when,
        )

    def update_log(self, cover: dict) -> None:
        for name, value in cover.items():
            setattr(self.log, name, value)
        self._save(self.log)

    # New hazards: bulk, with history rows for every object and for each control's causes.

    def create(self, items: list[reader.ParsedHazard]) -> None:
        for start in range(0, len(items), BATCH):
            self._create_batch(items[start : start + BATCH])

    def _create_batch(self, items) -> None:
        rows = [item.hazard for item in items]
        hazards = self._bulk([self._new_hazard(row) for row in rows], Hazard)
        causes = self._bulk(
            [
                Cause(hazard_id=h.id, number=c.number, description=c.description, source_id=c.source_id)
                for h, row in zip(hazards, rows, strict=True)
                for c in row.causes
            ],
            Cause,
        )
        cause_ids = {(c.hazard_id, c.number): c.id for c in causes}
        pending = [(h, control) for h, row in zip(hazards, rows, strict=True) for control in row.controls]
        controls = self._bulk([self._new_control(h, c) for h, c in pending], Control)
        self._link_with_history(
            [
                (control.id, cause_ids[(h.id, number)])
                for control, (h, row) in zip(controls, pending, strict=True)
                for number in row.cause_numbers
            ]
        )
        assessments = []
        for h, row in zip(hazards, rows, strict=True):
            for stage in ("initial", "residual"):
                if (assessment := getattr(row, stage)) is not None:
                    severity, likelihood, rating = self._levels(assessment)
                    assessments.append(
                        RiskAssessment(
                            hazard_id=h.id,
                            stage=stage,
                            severity_id=severity.id,
                            likelihood_id=likelihood.id,
                            rating_id=rating.id,
                        )
                    )
        self._bulk(assessments, RiskAssessment)

    def _new_hazard(self, row: HazardRow) -> Hazard:
        # bulk_create skips Hazard.save(): set what save() would (the reader has normalised the reference).
        return Hazard(
            log_id=self.log.id,
            reference=row.reference,
            reference_key=reference_key(row.reference),
            reference_sort=sort_text(row.reference),
            name=row.name,
            description=row.description,
            clinical_impact=row.clinical_impact,
            hazard_type=row.hazard_type,
            owner=row.owner,
            actions=row.actions,
            status=row.status,
            status_reason="" if row.status == HazardStatus.OPEN else _status_reason(row.status, self.file_name),
            additional_columns=[list(pair) for pair in row.additional_columns],
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
            source_id=row.source_id,
            additional_columns=[list(pair) for pair in row.additional_columns],
        )

    def _link_with_history(self, links: list[tuple[int, int]]) -> None:
        """Link new controls to causes, (control id, cause id) pairs, and copy the links into each control's
        creation history record, as simple-history does for m2m fields on save() (its bulk helper leaves
        them out).

        Written with executemany rather than bulk_create: these two untracked tables hold more rows than
        any other an import writes (two or three per control), and building a model instance per row
        cost a seventh of a large import (bench/workbook.py). The controls are new, so every link found
        for them afterwards is one just written.
        """
        if not links:
            return
        through, link_history = Control.causes.through, Control.history.model.causes.model
        control_ids = {control_id for control_id, _ in links}
        with connection.cursor() as cursor:
            cursor.executemany(_insert_sql(through, ["control", "cause"]), links)
            written = through.objects.filter(control_id__gte=min(control_ids), control_id__lte=max(control_ids))
            created = Control.history.filter(id__gte=min(control_ids), id__lte=max(control_ids), history_type="+")
            history_ids = dict(created.values_list("id", "history_id"))
            cursor.executemany(
                _insert_sql(link_history, ["history", "id", "control", "cause"]),
                [
                    (history_ids[control_id], link_id, control_id, cause_id)
                    for link_id, control_id, cause_id in written.values_list("id", "control_id", "cause_id")
                    if control_id in control_ids
                ],
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
                self._update_assessment(hazard, stage, getattr(row, stage))

    def _update_fields(self, hazard, row, carries) -> None:
        changed = False
        for name, _ in SCALAR_FIELDS:
            if name in carries and _value(hazard, name) != _value(row, name):
                setattr(hazard, name, _stored(row, name))
                changed = True
                if name == "status":
                    # A reopened hazard keeps no reason for a status it no longer has.
                    hazard.status_reason = (
                        "" if row.status == HazardStatus.OPEN else _status_reason(row.status, self.file_name)
                    )
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

    def _update_assessment(self, hazard, stage: str, row) -> None:
        assessment = next((a for a in hazard.assessments.all() if a.stage == stage), None)
        severity, likelihood, _ = self._levels(row)
        if assessment is None:
            assessment = RiskAssessment(hazard=hazard, stage=stage)
        elif (assessment.severity_id, assessment.likelihood_id) == (severity.id, likelihood.id):
            return
        assessment.severity, assessment.likelihood = severity, likelihood
        self._save(assessment)


DETAIL_FIELDS = ("description", "owner", "implementation_status", "evidence", "source_id", "additional_columns")


def _stored(row, name: str):
    """A row's field as the model stores it (additional columns as JSON lists)."""
    value = getattr(row, name)
    return [list(pair) for pair in value] if name == "additional_columns" else value


def _insert_sql(model, field_names: list[str]) -> str:
    """INSERT of one row of `model`'s fields, for cursor.executemany. Table and column names come from our
    models (quoted by the backend); values go in as parameters."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names)
    placeholders = ", ".join(["%s"] * len(field_names))
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
