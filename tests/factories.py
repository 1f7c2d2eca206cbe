"""Small builders for test data. They save through the ORM one object at a time, so history is written."""

import itertools

from hazardlog import nhs_matrix
from hazardlog.models import (
    Cause,
    Control,
    ControlKind,
    ControlType,
    Hazard,
    HazardLog,
    LikelihoodLevel,
    RiskAssessment,
    RiskCell,
    RiskMatrix,
    RiskRating,
    SeverityLevel,
    Stage,
)

_counter = itertools.count(1)


def make_log(matrix=None, **fields) -> HazardLog:
    matrix = matrix or RiskMatrix.objects.get(name=nhs_matrix.NAME)
    fields.setdefault("name", f"System {next(_counter)}")
    fields.setdefault("clinical_safety_officer", "Dr A Clinician")
    return HazardLog.objects.create(matrix=matrix, **fields)


def make_hazard(log, reference=None, *, causes=2, initial=("Major", "Medium"), residual=("Major", "Low"), **fields):
    """A hazard with `causes` causes, an existing and an additional control, and both assessments."""
    hazard = Hazard.objects.create(
        log=log,
        reference=reference or f"H{next(_counter)}",
        name=fields.pop("name", "Wrong patient record displayed"),
        description=fields.pop("description", "The system shows another patient's record."),
        clinical_impact=fields.pop("clinical_impact", "Treatment given on the wrong patient's information."),
        **fields,
    )
    made = [Cause.objects.create(hazard=hazard, number=n, description=f"Cause {n}") for n in range(1, causes + 1)]
    existing = Control.objects.create(
        hazard=hazard, number=1, description="Existing control", kind=ControlKind.EXISTING
    )
    existing.causes.set(made[:1])
    additional = Control.objects.create(
        hazard=hazard,
        number=2,
        description="Additional design control",
        kind=ControlKind.ADDITIONAL,
        control_type=ControlType.DESIGN,
    )
    additional.causes.set(made)
    for stage, levels in ((Stage.INITIAL, initial), (Stage.RESIDUAL, residual)):
        if levels:
            assess(hazard, stage, *levels)
    return hazard


def assess(hazard, stage, severity: str, likelihood: str) -> RiskAssessment:
    matrix = hazard.log.matrix
    return RiskAssessment.objects.update_or_create(
        hazard=hazard,
        stage=stage,
        defaults={
            "severity": matrix.severity_levels.get(name=severity),
            "likelihood": matrix.likelihood_levels.get(name=likelihood),
        },
    )[0]


def copy_matrix(matrix, name, changed_cells=None) -> RiskMatrix:
    """A complete copy of `matrix`; cells named in `changed_cells` ({(severity, likelihood): number}) differ."""
    changed_cells = changed_cells or {}
    copy = RiskMatrix.objects.create(name=name)
    severities = {
        s.name: SeverityLevel.objects.create(matrix=copy, rank=s.rank, name=s.name, definition=s.definition)
        for s in matrix.severity_levels.all()
    }
    likelihoods = {
        level.name: LikelihoodLevel.objects.create(
            matrix=copy, rank=level.rank, name=level.name, definition=level.definition
        )
        for level in matrix.likelihood_levels.all()
    }
    ratings = {
        r.number: RiskRating.objects.create(
            matrix=copy, number=r.number, label=r.label, acceptability=r.acceptability, colour=r.colour
        )
        for r in matrix.ratings.all()
    }
    for cell in matrix.cells.select_related("severity", "likelihood", "rating"):
        number = changed_cells.get((cell.severity.name, cell.likelihood.name), cell.rating.number)
        RiskCell.objects.create(
            matrix=copy,
            severity=severities[cell.severity.name],
            likelihood=likelihoods[cell.likelihood.name],
            rating=ratings[number],
        )
    return copy


def make_signatory(user, body="NMC", number="12A3456E", job_title="Clinical Safety Officer"):
    """The registration and job title an approval signs with (safetycase.Signatory)."""
    from safetycase.signing import save_signatory

    values = {"professional_body": body, "registration_number": number, "job_title": job_title}
    return save_signatory(user, values, "Test signatory")
