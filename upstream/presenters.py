"""Display logic of the hand-off pages: counts of a log's evaluations and the manufacturer's hazard laid out
for reading. No writes here."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from hazardlog.models import ControlKind, ControlType, HazardStatus, ImplementationStatus
from hazardlog.presenters import control_title

from .compare import transferred_controls
from .models import Applicability, Decision, Evaluation, TransferDecision

_KIND = dict(ControlKind.choices)
_TYPE = dict(ControlType.choices)
_STATUS = dict(HazardStatus.choices)
_IMPLEMENTATION = dict(ImplementationStatus.choices)


def _pending_transfer():
    return Exists(TransferDecision.objects.filter(evaluation=OuterRef("pk"), current=True, decision=Decision.PENDING))


def not_evaluated_q() -> Q:
    """Evaluations not yet done: applicability undecided, or a current transferred control undecided while the
    hazard applies (one that does not apply needs no decision on its transfers)."""
    return Q(applicable=Applicability.NOT_YET) | (Q(applicable=Applicability.YES) & Q(_pending_transfer()))


@dataclass(frozen=True)
class Counts:
    hazards: int  # evaluations of hazards in the manufacturers' current versions
    not_evaluated: int
    needs_review: int
    local: int  # local hazards that belong to an evaluation
    sources: int


def counts(log) -> Counts:
    evaluations = Evaluation.objects.filter(log=log)
    current = evaluations.filter(upstream_hazard__isnull=False)
    return Counts(
        hazards=current.count(),
        not_evaluated=current.filter(not_evaluated_q()).count(),
        needs_review=evaluations.filter(needs_review=True).count(),
        local=evaluations.filter(local_hazard__isnull=False, local_hazard__entered_in_error=False).count(),
        sources=log.upstream_sources.count(),
    )


def evaluation_states(evaluations) -> dict[int, str]:
    """Evaluation id → "Evaluated", "Not evaluated yet" (as the counts decide), for a list page."""
    pending = set(
        Evaluation.objects.filter(pk__in=[e.pk for e in evaluations])
        .filter(not_evaluated_q())
        .values_list("pk", flat=True)
    )
    return {e.pk: "Not evaluated yet" if e.pk in pending else "Evaluated" for e in evaluations}


def rating_text(assessment: dict | None) -> str:
    if not assessment:
        return "Not rated"
    return f"{assessment['rating']} ({assessment['severity']} / {assessment['likelihood']})"


@dataclass(frozen=True)
class ControlView:
    title: str
    description: str
    owner: str
    status: str
    causes: str
    transferred: bool


@dataclass(frozen=True)
class UpstreamReading:
    """The manufacturer's hazard as the evaluation page shows it."""

    row: dict
    causes: list
    controls: list[ControlView]
    initial: str
    residual: str
    status: str
    is_guidance: bool


def read_upstream(row: dict) -> UpstreamReading:
    transferred = {control["number"] for control in transferred_controls(row)}
    controls = [
        ControlView(
            title=control_title(c["number"], c["kind"], c.get("control_type", "")),
            description=c["description"],
            owner=c.get("owner", ""),
            status=_IMPLEMENTATION.get(c.get("implementation_status"), c.get("implementation_status", "")),
            causes=", ".join(str(n) for n in c.get("cause_numbers", [])),
            transferred=c["number"] in transferred,
        )
        for c in row.get("controls", [])
    ]
    return UpstreamReading(
        row=row,
        causes=row.get("causes", []),
        controls=controls,
        initial=rating_text(row.get("initial")),
        residual=rating_text(row.get("residual")),
        status=_STATUS.get(row.get("status"), row.get("status", "")),
        is_guidance=not row.get("initial") and not row.get("residual"),
    )
