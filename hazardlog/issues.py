"""Issues of a hazard log (DCB0129 3.3.2, 3.3.3): a CSO approves the log as it is now as issue N;
the issue keeps the exact NHS workbook and a JSON snapshot, each with its SHA-256, for good.

`diff_issues` compares two issues' JSON snapshots: what a reviewer of the next safety case report
needs to see changed between them.
"""

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone

from hazardlog import access
from hazardlog.models import (
    Control,
    ControlKind,
    ControlType,
    Hazard,
    HazardLog,
    HazardStatus,
    ImplementationStatus,
    LogIssue,
    RiskAssessment,
    Role,
    Stage,
)
from hazardlog.presenters import control_title
from hazardlog.snapshot import CONTROL_FIELDS, COVER_FIELDS, HAZARD_FIELDS, IssueRow, build_snapshot, to_json
from hazardlog.sorting import natural_key
from hazardlog.text import reference_key

# ASCII digits only, the whole text: "1.0\n" or Arabic-Indic digits are not issue numbers.
NUMBER_PATTERN = re.compile(r"([0-9]+)\.([0-9]+)")
MEANING_MAX_CHARS = 2000


def canonical_json(data) -> bytes:
    """The one byte form of a snapshot: what is hashed and what is downloaded."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def number_key(number: str) -> tuple[int, int]:
    """Issue numbers order as (major, minor): 1.10 comes after 1.9."""
    match = NUMBER_PATTERN.fullmatch(number)
    if match is None:
        raise ValueError(f"Not an issue number: {number!r}")
    return int(match[1]), int(match[2])


def latest_issue(log) -> LogIssue | None:
    return max(log.issues.only("id", "number"), key=lambda issue: number_key(issue.number), default=None)


def next_numbers(log) -> tuple[str, str] | None:
    """The minor and major numbers that would follow the latest issue, or None before the first."""
    latest = latest_issue(log)
    if latest is None:
        return None
    major, minor = number_key(latest.number)
    return f"{major}.{minor + 1}", f"{major + 1}.0"


NUMBER_FORMAT_MESSAGE = "Enter the issue number as major.minor, for example 1.0 or 2.3."
MEANING_REQUIRED_MESSAGE = "Enter what this approval means, for example the release and safety case report."


def check_number(log, number: str) -> str:
    """The number (trimmed) if it can be the log's next issue; ValidationError saying why not otherwise."""
    number = (number or "").strip()
    if not NUMBER_PATTERN.fullmatch(number):
        raise ValidationError(NUMBER_FORMAT_MESSAGE, code="format")
    latest = latest_issue(log)
    if latest is not None and number_key(number) <= number_key(latest.number):
        raise ValidationError(f"Enter a number after the latest issue, {latest.number}.", code="not_after_latest")
    return number


NO_FULL_NAME_MESSAGE = (
    "Your account has no full name, and an approved issue names the Clinical Safety Officer who approved it. "
    "Ask a member of staff to enter your first and last names in the admin (Users, then {username})."
)
UNCHANGED_MESSAGE = "Nothing in the log has changed since issue {number}: there is nothing new to approve."
APPROVED_STATUS = "Approved"
# What an approval writes on the cover page itself: left out when asking whether the log has changed.
APPROVAL_COVER_FIELDS = ("version", "document_status", "version_date")


def no_full_name_message(user) -> str:
    return NO_FULL_NAME_MESSAGE.format(username=user.get_username())


def approver_name(user) -> str:
    """The name an issue records for its approver: the account's full name (required to approve)."""
    return user.get_full_name() or user.get_username()


def _content(snapshot_json: dict) -> dict:
    """A snapshot's content, less its list of issues and the cover fields an approval sets."""
    return {key: value for key, value in snapshot_json.items() if key not in {"issues", *APPROVAL_COVER_FIELDS}}


def approve_issue(
    log, number: str, meaning: str, user, *, justification: str | None = None, password_confirmed: bool = False
) -> LogIssue:
    """Approve the log as it is now as issue `number`, signed by `user`. Only a CSO of the log with a full name
    on their account may; the number must be major.minor and come after the latest issue, and the log must have
    changed since it. The log's cover page takes the issue's number, "Approved" and today's date, saved in its
    history in the same transaction, and so are the issue's signature (`safetycase.IssueSignature`: name,
    registration and job title as at signing, the reviews recorded since the latest issue, the findings and
    why the issue is approved with them) and its safety case report (DOCX, frozen with its SHA-256).

    The approval page asks for the password again and passes `password_confirmed`, and passes the
    `justification` it asked for: given (even empty), it is required when the completeness checks find
    anything. Raises ValidationError (by field) or PermissionDenied.
    """
    from safetycase import signing

    if not access.can(access.role_in(user, log), Role.CSO):
        raise PermissionDenied("Only a Clinical Safety Officer of this log can approve an issue.")
    if not user.get_full_name():
        raise ValidationError(no_full_name_message(user), code="no_full_name")
    meaning = (meaning or "").strip()
    if not meaning:
        raise ValidationError({"meaning": MEANING_REQUIRED_MESSAGE})
    if len(meaning) > MEANING_MAX_CHARS:
        raise ValidationError(
            {"meaning": f"The meaning of the approval can be at most {MEANING_MAX_CHARS} characters."}
        )

    from hazardlog.workbook.writer import CellTooLong, write_nhs_workbook

    with transaction.atomic():
        # Locks the log so that two approvals cannot both pass the number check.
        locked = HazardLog.objects.select_for_update().get(pk=log.pk)
        try:
            number = check_number(locked, number)
        except ValidationError as error:
            raise ValidationError({"number": error}) from None
        snapshot = build_snapshot(locked)
        # Earlier issues as they were signed: named with the registration, their reviewers in the history.
        snapshot = dataclasses.replace(
            snapshot,
            issues=signing.signed_issue_rows(snapshot.issues, locked),
            document_history=signing.with_reviewers(snapshot.document_history, locked),
        )
        latest = latest_issue(locked)
        if latest is not None:
            previous = LogIssue.objects.only("snapshot").get(pk=latest.pk).snapshot
            if _content(previous) == _content(to_json(snapshot)):
                raise ValidationError(UNCHANGED_MESSAGE.format(number=latest.number), code="unchanged")
        findings = signing.findings_at_approval(locked, to_json(snapshot))
        justification = justification.strip() if justification is not None else None
        if justification is not None and len(justification) > signing.JUSTIFICATION_MAX_CHARS:
            raise ValidationError(
                {"justification": f"The justification can be at most {signing.JUSTIFICATION_MAX_CHARS} characters."}
            )
        if justification is not None and findings and not justification:
            raise ValidationError({"justification": signing.JUSTIFICATION_REQUIRED_MESSAGE})
        reviewers = signing.reviewer_rows(signing.reviews_for_next_issue(locked))
        signer = signing.signer_of(user)
        locked.version, locked.document_status, locked.version_date = number, APPROVED_STATUS, timezone.localdate()
        locked._history_user, locked._change_reason = user, f"Issue {number} approved"
        locked.save(update_fields=[*APPROVAL_COVER_FIELDS, "updated_at"])
        # Taken after that save, so the log's history lists the approval above the cover change it made.
        approved_at = timezone.now()
        # The issued workbook shows the issue on its cover and lists its own approval in its Version History.
        approval = IssueRow(number, meaning, signer.signed_name, approved_at)
        snapshot = dataclasses.replace(
            snapshot,
            version=locked.version,
            document_status=locked.document_status,
            version_date=locked.version_date,
            issues=(*snapshot.issues, approval),
            document_history=signing.with_reviewers(locked.document_history, locked, reviewers, number),
        )
        try:
            workbook = write_nhs_workbook(snapshot)
        except CellTooLong as error:
            raise ValidationError(f"This log cannot be issued as an NHS workbook: {error}") from None
        data = to_json(snapshot)
        issue = LogIssue(
            log=locked,
            number=number,
            meaning=meaning,
            approved_by=user,
            approved_at=approved_at,
            workbook=workbook,
            workbook_sha256=sha256(workbook),
            snapshot=data,
            snapshot_sha256=sha256(canonical_json(data)),
        )
        issue.save()
        signing.sign(
            issue,
            signer,
            reviewers=reviewers,
            findings=len(findings),
            justification=(justification or "") if findings else "",
            password_confirmed=password_confirmed,
        )
        signing.freeze_docx(issue)
    return issue


# --- Comparing two issues -------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HazardSummary:
    reference: str
    name: str


@dataclass(frozen=True)
class HazardChanges:
    reference: str
    name: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Rating:
    severity: str
    likelihood: str
    rating: int


@dataclass(frozen=True)
class Rerating:
    reference: str
    name: str
    stage: str  # "Initial" or "Residual"
    old: Rating | None
    new: Rating | None


@dataclass(frozen=True)
class IssueDiff:
    older: LogIssue
    newer: LogIssue
    details: tuple[Change, ...]  # the log's cover details
    added: tuple[HazardSummary, ...]
    removed: tuple[HazardSummary, ...]
    closed: tuple[HazardSummary, ...]
    rerated: tuple[Rerating, ...]
    changed: tuple[HazardChanges, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.details or self.added or self.removed or self.closed or self.rerated or self.changed)


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


# What the diff compares: every field the snapshot holds, less the keys it matches on.
_HAZARD_FIELDS = [name for name in HAZARD_FIELDS if name != "reference"]
_CONTROL_FIELDS = [name for name in CONTROL_FIELDS if name != "number"]
_ASSESSMENT_DETAILS = ["rationale", "assessed_by", "assessed_at"]
# The cover fields every approval sets to the issue's own number, status and date: no news in a comparison.
_COVER_FIELDS = [name for name in COVER_FIELDS if name not in APPROVAL_COVER_FIELDS]
_CHOICES = {
    "status": dict(HazardStatus.choices),
    "kind": dict(ControlKind.choices),
    "control_type": dict(ControlType.choices),
    "implementation_status": dict(ImplementationStatus.choices),
}


_DATES = {"raised_on", "assessed_at", "version_date"}


def _text(field: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field in _DATES:
        return formats.date_format(date.fromisoformat(value), "j F Y")
    return str(_CHOICES.get(field, {}).get(value, value))


def _compare(model, fields, old: dict, new: dict, prefix: str = "") -> list[Change]:
    changes = []
    for field in fields:
        if (field not in old and not new.get(field)) or (field not in new and not old.get(field)):
            continue  # a field added since the older issue was approved, and empty in the newer
        if old.get(field) != new.get(field):
            label = _label(model, field)
            changes.append(Change(f"{prefix}{label}", _text(field, old.get(field)), _text(field, new.get(field))))
    return changes


def _by_number(rows) -> dict[int, dict]:
    return {row["number"]: row for row in rows}


def _cause_changes(old: dict, new: dict) -> list[Change]:
    before, after = _by_number(old["causes"]), _by_number(new["causes"])
    changes = []
    for number in sorted(before.keys() | after.keys()):
        was, now = before.get(number, {}).get("description", ""), after.get(number, {}).get("description", "")
        if was != now:
            changes.append(Change(f"Cause {number}", was, now))
    return changes


def _control_changes(old: dict, new: dict) -> list[Change]:
    before, after = _by_number(old["controls"]), _by_number(new["controls"])
    changes = []
    for number in sorted(before.keys() | after.keys()):
        # Named as the hazard page and its history name it, as it is in the newer issue if it is there.
        row = after.get(number) or before[number]
        title = control_title(number, row["kind"], row["control_type"])
        if number not in before:
            changes.append(Change(title, "", _control_text(after[number])))
        elif number not in after:
            changes.append(Change(title, _control_text(before[number]), ""))
        else:
            prefix = f"{title}: "
            changes += _compare(Control, _CONTROL_FIELDS, before[number], after[number], prefix)
            if before[number]["cause_numbers"] != after[number]["cause_numbers"]:
                was, now = before[number]["cause_numbers"], after[number]["cause_numbers"]
                changes.append(Change(f"{prefix}causes answered", _text("", was), _text("", now)))
    return changes


def _control_text(row: dict) -> str:
    kind = _CHOICES["kind"].get(row["kind"], row["kind"])
    kind += f", {_CHOICES['control_type'].get(row['control_type'])}" if row["control_type"] else ""
    return f"{row['description']} ({kind})"


def _rating(row: dict | None) -> Rating | None:
    return None if row is None else Rating(row["severity"], row["likelihood"], row["rating"])


def _hazard_diff(old: dict, new: dict) -> tuple[list[Change], list[Rerating]]:
    changes = _compare(Hazard, _HAZARD_FIELDS, old, new)
    changes += _cause_changes(old, new)
    changes += _control_changes(old, new)
    rerated = []
    for stage in (Stage.INITIAL, Stage.RESIDUAL):
        was, now = old.get(stage.value), new.get(stage.value)
        if _rating(was) != _rating(now):
            rerated.append(Rerating(new["reference"], new["name"], stage.label, _rating(was), _rating(now)))
        if was and now:
            changes += _compare(RiskAssessment, _ASSESSMENT_DETAILS, was, now, f"{stage.label} risk: ")
    return changes, rerated


def _summary(row: dict) -> HazardSummary:
    return HazardSummary(row["reference"], row["name"])


def diff_issues(older: LogIssue, newer: LogIssue) -> IssueDiff:
    """What changed in the log between two issues, from their JSON snapshots."""
    old_log, new_log = older.snapshot, newer.snapshot
    before = {reference_key(h["reference"]): h for h in old_log["hazards"]}
    after = {reference_key(h["reference"]): h for h in new_log["hazards"]}
    in_order = sorted(before.keys() | after.keys(), key=natural_key)
    added, removed, closed, rerated, changed = [], [], [], [], []
    for key in in_order:
        old, new = before.get(key), after.get(key)
        if old is None:
            added.append(_summary(new))
            continue
        if new is None:
            removed.append(_summary(old))
            continue
        if new["status"] == HazardStatus.CLOSED and old["status"] != HazardStatus.CLOSED:
            closed.append(_summary(new))
        changes, ratings = _hazard_diff(old, new)
        rerated += ratings
        if changes:
            changed.append(HazardChanges(new["reference"], new["name"], tuple(changes)))
    details = _compare(HazardLog, _COVER_FIELDS, old_log, new_log)
    if old_log["matrix"]["name"] != new_log["matrix"]["name"]:
        details.append(Change("risk matrix", old_log["matrix"]["name"], new_log["matrix"]["name"]))
    return IssueDiff(
        older=older,
        newer=newer,
        details=tuple(details),
        added=tuple(added),
        removed=tuple(removed),
        closed=tuple(closed),
        rerated=tuple(rerated),
        changed=tuple(changed),
    )
