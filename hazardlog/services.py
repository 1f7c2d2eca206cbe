"""Writes that span models, each in one transaction, with the user and the reason kept in the history."""

from dataclasses import dataclass, field

from django.db import transaction

from hazardlog import snapshot
from hazardlog.models import Cause, Control, Hazard, HazardLog, Membership, RiskAssessment, Role
from hazardlog.workbook import writer


def _track(instance, user, reason: str):
    instance._history_user = user
    instance._change_reason = reason
    return instance


def create_log(log: HazardLog, user) -> HazardLog:
    """Save a new log; its creator becomes its Clinical Safety Officer."""
    with transaction.atomic():
        _track(log, user, "Hazard log created").save()
        _track(Membership(log=log, user=user, role=Role.CSO), user, "Created the log").save()
    return log


def save_log(log: HazardLog, user, reason: str) -> HazardLog:
    """Save a log's cover details; a new matrix re-rates its assessments in the same transaction."""
    with transaction.atomic():
        _track(log, user, reason).save()
    return log


def mark_entered_in_error(hazard: Hazard, user, reason: str, mark: bool = True) -> bool:
    """Mark a hazard as entered in error (kept, but no longer part of the log's documents and counts), or
    take the mark back. Returns False, writing nothing, if the hazard is already so."""
    with transaction.atomic():
        locked = Hazard.objects.select_for_update().get(pk=hazard.pk)
        if locked.entered_in_error == mark:
            return False
        locked.entered_in_error = mark
        locked.entered_in_error_reason = reason if mark else ""
        _track(locked, user, reason).save()
    return True


@dataclass
class CauseChange:
    """A cause as submitted: `pk` of a current cause, or None for a new one. `key` is the number the page
    showed, which controls refer to; a new cause gets its stored number when saved."""

    key: int
    description: str
    pk: int | None = None
    withdraw: bool = False


# The fields of a control a person edits.
CONTROL_FIELDS = ("description", "control_type", "owner", "implementation_status", "evidence", "evidence_url")


@dataclass
class ControlChange:
    kind: str
    fields: dict  # CONTROL_FIELDS -> value
    cause_keys: list[int] = field(default_factory=list)
    pk: int | None = None
    withdraw: bool = False


@dataclass
class AssessmentChange:
    stage: str
    severity: object  # SeverityLevel
    likelihood: object  # LikelihoodLevel
    rationale: str = ""


def _latest_record(hazard: Hazard):
    """The newest history record of the hazard or anything under it (whoever moved its revision last)."""
    tracks = ((Hazard, "id"), (Cause, "hazard_id"), (Control, "hazard_id"), (RiskAssessment, "hazard_id"))
    records = [
        model.history.model.objects.filter(**{key: hazard.pk}).select_related("history_user").first()
        for model, key in tracks
    ]
    return max((record for record in records if record), key=lambda record: record.history_date, default=None)


class StaleHazard(Exception):
    """Someone else saved the hazard after the form was opened; nothing was saved."""

    def __init__(self, hazard: Hazard):
        latest = _latest_record(hazard)
        self.by = latest.history_user if latest else None
        self.at = latest.history_date if latest else None
        self.revision = hazard.revision
        who = (self.by.get_full_name() or self.by.username) if self.by else "Someone else"
        super().__init__(f"{who} saved this hazard after you opened it.")


def save_hazard(
    hazard: Hazard,
    *,
    user,
    reason: str,
    causes: list[CauseChange],
    controls: list[ControlChange],
    assessments: list[AssessmentChange],
    revision: int | None = None,
) -> Hazard:
    """Save a hazard (its fields already set) with its causes, controls and assessments, all or nothing.

    For an existing hazard `revision` is the one the form was opened at: if the hazard has been saved
    since, StaleHazard is raised and nothing is written. Causes and controls are withdrawn, never deleted;
    only what changed is saved, each save recorded with the user and the reason.
    """
    with transaction.atomic():
        if hazard.pk:
            current = Hazard.objects.select_for_update().get(pk=hazard.pk)
            if current.revision != revision:
                raise StaleHazard(current)
            hazard.revision = current.revision
        _track(hazard, user, reason).save()
        saved_causes = _save_causes(hazard, causes, user, reason)
        _save_controls(hazard, controls, saved_causes, user, reason)
        _save_assessments(hazard, assessments, user, reason)
        # A hazard whose numbered lists would overflow a spreadsheet cell is refused now, not at export.
        writer.check_hazard_fits(snapshot.hazard_row(hazard))
    return hazard


def _next_number(items) -> int:
    return max((item.number for item in items), default=0) + 1


def _save_causes(hazard, changes: list[CauseChange], user, reason) -> dict[int, Cause]:
    """Returns the hazard's current causes by the key the page gave them."""
    stored = {cause.pk: cause for cause in Cause.objects.filter(hazard=hazard)}
    number = _next_number(stored.values())
    by_key = {}
    for change in changes:
        cause = stored.get(change.pk) if change.pk else None
        if cause is None:
            if change.withdraw or not change.description.strip():
                continue
            cause = Cause(hazard=hazard, number=number, description=change.description)
            number += 1
        elif change.withdraw:
            if not cause.withdrawn:
                cause.withdrawn, cause.withdrawn_reason = True, reason
                _track(cause, user, reason).save()
            continue
        elif cause.description == change.description:
            by_key[change.key] = cause
            continue
        cause.description = change.description
        _track(cause, user, reason).save()
        by_key[change.key] = cause
    return by_key


def _save_controls(hazard, changes: list[ControlChange], causes: dict[int, Cause], user, reason):
    stored = {control.pk: control for control in Control.objects.filter(hazard=hazard).prefetch_related("causes")}
    number = _next_number(stored.values())
    for change in changes:
        control = stored.get(change.pk) if change.pk else None
        if control is None:
            if change.withdraw or not change.fields.get("description", "").strip():
                continue
            control = Control(hazard=hazard, kind=change.kind, number=number, **change.fields)
            number += 1
            _track(control, user, reason).save()
        elif change.withdraw:
            if not control.withdrawn:
                control.withdrawn, control.withdrawn_reason = True, reason
                _track(control, user, reason).save()
            continue
        elif any(getattr(control, name) != value for name, value in change.fields.items()):
            for name, value in change.fields.items():
                setattr(control, name, value)
            _track(control, user, reason).save()
        wanted = {causes[key].pk for key in change.cause_keys if key in causes}
        if wanted != {cause.pk for cause in control.causes.all()}:
            _track(control, user, reason).causes.set(wanted)


def _save_assessments(hazard, changes: list[AssessmentChange], user, reason):
    stored = {assessment.stage: assessment for assessment in RiskAssessment.objects.filter(hazard=hazard)}
    for change in changes:
        assessment = stored.get(change.stage) or RiskAssessment(hazard=hazard, stage=change.stage)
        if (assessment.severity_id, assessment.likelihood_id, assessment.rationale) == (
            change.severity.pk,
            change.likelihood.pk,
            change.rationale,
        ):
            continue
        assessment.severity = change.severity
        assessment.likelihood = change.likelihood
        assessment.rationale = change.rationale
        _track(assessment, user, reason).save()
