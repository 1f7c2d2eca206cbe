"""The demo's deploying organisation: a DCB0160 log of the trust deploying the demo system, with the demo log's
latest approved issue brought in as its upstream source and some of its hazards evaluated. Safe to repeat."""

from hazardlog import issues
from hazardlog import services as hazard_services
from hazardlog.models import ControlKind, ControlType, Hazard, HazardLog, Membership, Role, Stage, Standard

from . import services
from .bring_in import read_source
from .models import Applicability, Decision, Evaluation, UpstreamSource

TRUST = "Northshire Teaching Hospitals NHS Trust"
MANUFACTURER = "Harbour Health Systems Ltd"


def load_upstream_demo(manufacturer_log: HazardLog, user) -> str:
    """Returns a sentence for the command's output."""
    issue = issues.latest_issue(manufacturer_log)
    if issue is None:
        issue = issues.approve_issue(manufacturer_log, "1.0", "Demo: approved for the first release", user)
    issue = type(issue).objects.get(pk=issue.pk)
    log = HazardLog.objects.filter(name=manufacturer_log.name, standard=Standard.DCB0160).first()
    if log is None:
        log = HazardLog(
            name=manufacturer_log.name,
            standard=Standard.DCB0160,
            matrix=manufacturer_log.matrix,
            clinical_safety_officer=user.get_full_name(),
            owner=TRUST,
            purpose=f"The clinical risk management of deploying {manufacturer_log.name} on the wards of {TRUST}.",
        )
        hazard_services.create_log(log, user)
    elif not Membership.objects.filter(log=log, user=user).exists():
        membership = Membership(log=log, user=user, role=Role.CSO)
        membership._history_user, membership._change_reason = user, "Demo login made CSO of the demo deployment"
        membership.save()
    sources = UpstreamSource.objects.filter(log=log, manufacturer=MANUFACTURER, system=manufacturer_log.name)
    if sources.filter(version=issue.number).exists():
        return f"The demo deployment {log} already holds issue {issue.number}."
    content = issues.canonical_json(issue.snapshot)
    previous = sources.filter(next_version__isnull=True).order_by("-brought_in_at").first()
    source, _ = services.bring_in(
        log,
        read_source(f"{manufacturer_log.name} issue {issue.number}.json", content),
        file_name=f"{manufacturer_log.name} hazard log issue {issue.number}.json",
        content=content,
        manufacturer=MANUFACTURER,
        system=manufacturer_log.name,
        version=issue.number,
        issue_date=issue.approved_at.date(),
        previous=previous,
        user=user,
    )
    if previous is None:
        _evaluate_some(log, user)
    return f"The demo deployment {log} holds {source} with {source.hazards.count()} hazards."


def _evaluate_some(log, user) -> None:
    """The first evaluations done, the next one started, the rest left for whoever explores the demo."""
    evaluations = list(Evaluation.objects.filter(log=log).select_related("upstream_hazard"))
    evaluations.sort(key=lambda e: e.upstream_hazard.position)
    with_transfers = [e for e in evaluations if e.transfers.exists()]
    done = (with_transfers[:2] + [e for e in evaluations if e not in with_transfers][:1])[:3]
    for evaluation in done:
        services.decide_applicability(evaluation, Applicability.YES, "Used on every adult ward", user)
        for decision in evaluation.transfers.all():
            values = {
                "decision": Decision.ACCEPTED,
                "owner": "Ward pharmacy lead",
                "implementation_status": "implemented",
            }
            services.decide_transfer(decision, values, user)
    local = services.start_evaluation(done[0], user)
    matrix = log.matrix
    hazard_services.save_hazard(
        local,
        user=user,
        reason="Demo: local evaluation of the manufacturer's hazard",
        causes=[hazard_services.CauseChange(key=1, description="Agency nurses not trained on the system")],
        controls=[
            hazard_services.ControlChange(
                kind=ControlKind.ADDITIONAL,
                fields={
                    "description": "Ward induction includes a supervised medicines round on the system",
                    "control_type": ControlType.TRAINING,
                    "owner": "Practice education team",
                    "implementation_status": "implemented",
                },
                cause_keys=[1],
            )
        ],
        assessments=[
            hazard_services.AssessmentChange(
                Stage.INITIAL, matrix.severity_levels.get(name="Major"), matrix.likelihood_levels.get(name="Medium")
            ),
            hazard_services.AssessmentChange(
                Stage.RESIDUAL, matrix.severity_levels.get(name="Major"), matrix.likelihood_levels.get(name="Low")
            ),
        ],
        revision=Hazard.objects.get(pk=local.pk).revision,
    )
    if len(evaluations) > 3:
        not_here = next(e for e in evaluations if e not in done)
        services.decide_applicability(
            not_here, Applicability.NO, "The trust does not use this part of the system: no paediatric wards.", user
        )
