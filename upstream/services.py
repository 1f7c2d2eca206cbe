"""Writes of the hand-off, each in one transaction with the user and the reason kept in the history:
bringing in a source (its copies, the evaluations and transfer decisions it opens, the flags a new version
raises), starting an evaluation (its local hazard), applicability, transfer decisions and the review.

A bring-in never writes the DCB0160 log's cover page nor any of its hazards."""

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from hazardlog import issues
from hazardlog import services as hazard_services
from hazardlog.models import Hazard, HazardLog, Standard
from hazardlog.presenters import next_reference
from hazardlog.services import _track
from hazardlog.text import reference_key

from .bring_in import Reading
from .compare import SourceDiff, diff_sources, transferred_controls
from .models import Applicability, Decision, Evaluation, TransferDecision, UpstreamHazard, UpstreamSource

NOT_DCB0160 = "Only a DCB0160 (deploying organisation) log brings in a manufacturer's hazard log."


def bring_in(
    log: HazardLog,
    reading: Reading,
    *,
    file_name: str,
    content: bytes,
    manufacturer: str,
    system: str,
    version: str,
    issue_date,
    previous: UpstreamSource | None,
    user,
) -> tuple[UpstreamSource, SourceDiff | None]:
    """Keep the file and its hazards as a new source of `log`, open an evaluation (and a decision per
    transferred control) for every hazard not yet evaluated, and, against `previous`, flag every evaluation
    that rests on something that changed. Raises ValidationError (by field) and writes nothing on a refusal."""
    if log.standard != Standard.DCB0160:
        raise ValidationError(NOT_DCB0160)
    with transaction.atomic():
        HazardLog.objects.select_for_update().get(pk=log.pk)  # one bring-in at a time per log
        manufacturer, system = _check_version(log, manufacturer, system, version, previous)
        reason = f"Brought in {manufacturer} {system} version {version} ({file_name})"
        source = UpstreamSource(
            log=log,
            manufacturer=manufacturer,
            system=system,
            version=version,
            issue_date=issue_date,
            format=reading.format,
            file_name=file_name[:255],
            content=content,
            sha256=issues.sha256(content),
            cover=reading.cover,
            layout=reading.layout,
            previous=previous,
            brought_in_by=user,
        )
        _track(source, user, reason).save()
        copies = [
            UpstreamHazard(
                source=source,
                position=position,
                reference=row["reference"],
                reference_key=reference_key(row["reference"]),
                name=row["name"][:500],
                row=row,
            )
            for position, row in enumerate(reading.hazards, start=1)
        ]
        # New, immutable and without history of their own (the source's history records the bring-in).
        UpstreamHazard.objects.bulk_create(copies, batch_size=BATCH)
        diff = diff_sources(previous.snapshot(), source.snapshot(), version) if previous else None
        _open_evaluations(log, source, {copy.reference_key: copy for copy in copies}, diff, user, reason)
    return source, diff


def _check_version(log, manufacturer: str, system: str, version: str, previous) -> tuple[str, str]:
    """(manufacturer, system) of the new version; ValidationError by field if it cannot be brought in. Called
    with the log locked, so that two bring-ins cannot both pass."""
    if previous is not None:
        if previous.log_id != log.pk:
            raise ValidationError({"previous": "Choose a version brought into this log."})
        if UpstreamSource.objects.filter(previous=previous).exists():
            raise ValidationError({"previous": f"{previous} is already superseded by a later version."})
        manufacturer, system = previous.manufacturer, previous.system
    same_log = UpstreamSource.objects.filter(log=log, manufacturer=manufacturer, system=system)
    if previous is None and same_log.exists():
        latest = same_log.filter(next_version__isnull=True).defer("content").first()
        raise ValidationError(
            {
                "previous": f"Choose the version it supersedes: {latest} is already brought in, and a new version is "
                "compared with it."
            }
        )
    if same_log.filter(version=version).exists():
        raise ValidationError({"version": f"Version {version} of {manufacturer} {system} is already brought in."})
    return manufacturer, system


BATCH = 500


def _open_evaluations(log, source, copies: dict, diff: SourceDiff | None, user, reason: str) -> None:
    """Every evaluation of the manufacturer's log moves to the new copy (or to none, when the hazard is gone),
    flagged where something changed; a hazard seen for the first time gets its evaluation. Written in bulk,
    each row with its history row (user and reason)."""
    stored = Evaluation.objects.filter(log=log, manufacturer=source.manufacturer, system=source.system)
    evaluations = {e.reference_key: e for e in stored}
    flags = diff.flags if diff else {}
    new, changed = [], []
    for key, evaluation in evaluations.items():
        evaluation.upstream_hazard = copies.get(key)
        if key in copies:
            evaluation.reference = copies[key].reference
        if key in flags:
            # Gone from the newer version or changed in it: kept with its local hazard and decisions, flagged
            # (after what an earlier version changed, if that is not reviewed yet).
            earlier = f"{evaluation.what_changed} " if evaluation.needs_review else ""
            evaluation.needs_review, evaluation.what_changed = True, earlier + flags[key]
        changed.append(evaluation)
    for key, copy in copies.items():
        if key not in evaluations:
            evaluation = Evaluation(
                log=log,
                manufacturer=source.manufacturer,
                system=source.system,
                reference_key=key,
                reference=copy.reference,
            )
            evaluation.upstream_hazard = copy
            if key in flags:
                evaluation.needs_review, evaluation.what_changed = True, flags[key]
            new.append(evaluation)
    history = {"default_user": user, "default_change_reason": reason, "batch_size": BATCH}
    if changed:
        fields = ["upstream_hazard", "reference", "needs_review", "what_changed"]
        manager = Evaluation.objects.history_written_by_caller()
        bulk_update_with_history(changed, Evaluation, fields, manager=manager, **history)
    if new:
        bulk_create_with_history(new, Evaluation, **history)
        # bulk_create gives SQLite and PostgreSQL their keys; fetched again to be sure on any database.
        by_key = dict(Evaluation.objects.filter(pk__in=[e.pk for e in new if e.pk]).values_list("reference_key", "pk"))
        if len(by_key) != len(new):
            by_key = dict(stored.values_list("reference_key", "pk"))
        for evaluation in new:
            evaluation.pk = by_key[evaluation.reference_key]
    _open_transfers([*changed, *new], copies, history)


def _open_transfers(evaluations: list, copies: dict, history: dict) -> None:
    """A decision per control newly transferred (pending); a decision whose control is no longer transferred,
    or whose wording changed, is updated (its decision kept)."""
    decisions: dict[int, list] = {}
    for decision in TransferDecision.objects.filter(evaluation__in=[e.pk for e in evaluations]):
        decisions.setdefault(decision.evaluation_id, []).append(decision)
    new, changed = [], []
    for evaluation in evaluations:
        copy = copies.get(evaluation.reference_key)
        transferred = {c["number"]: c for c in transferred_controls(copy.row)} if copy else {}
        for decision in decisions.get(evaluation.pk, []):
            control = transferred.pop(decision.control_number, None)
            current = control is not None
            description = control["description"] if control else decision.description
            if (decision.current, decision.description) != (current, description):
                decision.current, decision.description = current, description
                changed.append(decision)
        new += [
            TransferDecision(evaluation_id=evaluation.pk, control_number=number, description=control["description"])
            for number, control in transferred.items()
        ]
    if changed:
        manager = TransferDecision.objects.history_written_by_caller()
        bulk_update_with_history(changed, TransferDecision, ["current", "description"], manager=manager, **history)
    if new:
        bulk_create_with_history(new, TransferDecision, **history)


# --- The deployer's evaluation -----------------------------------------------------------------------------


def start_evaluation(evaluation: Evaluation, user) -> Hazard:
    """Create the evaluation's local hazard in the DCB0160 log (once): the manufacturer's wording to start
    from, and no causes, controls or ratings, which are the deployer's own to add in the hazard editor."""
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if locked.local_hazard_id:
            return locked.local_hazard
        row = locked.upstream_hazard.row if locked.upstream_hazard else {"name": locked.reference}
        reason = f"Evaluation of {locked.manufacturer} {locked.system} hazard {locked.reference} started"
        hazard = Hazard(
            log=locked.log,
            reference=next_reference(locked.log),
            name=row.get("name", locked.reference)[:500],
            description=row.get("description", ""),
            clinical_impact=row.get("clinical_impact", ""),
            hazard_type=row.get("hazard_type", "")[:200],
        )
        hazard_services.save_hazard(hazard, user=user, reason=reason, causes=[], controls=[], assessments=[])
        locked.local_hazard = hazard
        _track(locked, user, reason).save()
    evaluation.local_hazard = hazard
    return hazard


def decide_applicability(evaluation: Evaluation, applicable: str, reason: str, user) -> Evaluation:
    if applicable not in Applicability.values:
        raise ValidationError({"applicable": "Choose whether the hazard applies to this deployment."})
    if applicable == Applicability.NO and not reason.strip():
        raise ValidationError({"reason": "Enter why the hazard does not apply to this deployment."})
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        locked.applicable, locked.reason = applicable, reason
        _track(locked, user, f"Applicability: {locked.get_applicable_display()}").save()
    return locked


def decide_transfer(decision: TransferDecision, values: dict, user) -> TransferDecision:
    """Accept (owner and implementation status), reject (reason required) or leave pending a transferred control."""
    if values["decision"] == Decision.REJECTED and not values.get("reason", "").strip():
        raise ValidationError({"reason": "Enter why the transferred control is rejected."})
    with transaction.atomic():
        locked = TransferDecision.objects.select_for_update().get(pk=decision.pk)
        for name in ("decision", "owner", "implementation_status", "reason"):
            setattr(locked, name, values.get(name, getattr(locked, name)) or "")
        label = dict(Decision.choices)[locked.decision]
        _track(locked, user, f"Transferred control {locked.control_number}: {label}").save()
    return locked


def mark_reviewed(evaluation: Evaluation, reason: str, user) -> bool:
    """The CSO has reviewed what changed; the flag is cleared (its text stays in the history). False if it
    was not flagged."""
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if not locked.needs_review:
            return False
        locked.needs_review, locked.what_changed = False, ""
        _track(locked, user, reason).save()
    return True


def is_evaluated(evaluation: Evaluation) -> bool:
    """Applicability decided and every current transferred control accepted or rejected; a hazard that does not
    apply needs no decision on its transfers."""
    if evaluation.applicable == Applicability.NOT_YET:
        return False
    if evaluation.applicable == Applicability.NO:
        return True
    return not any(t.current and t.decision == Decision.PENDING for t in evaluation.transfers.all())
