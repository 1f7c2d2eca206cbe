"""A log whose safety case passes every completeness check; tests spoil one thing at a time."""

from hazardlog.models import ControlKind, ImplementationStatus, RiskAssessment
from safetycase.models import SafetyCase, TestIssue
from safetycase.sections import SECTIONS
from tests import factories


def complete_log(**fields):
    log = factories.make_log(**fields)
    for reference in ("H1", "H2"):
        factories.make_hazard(log, reference, owner="Pharmacy lead", name=f"Hazard {reference} name")
    for assessment in RiskAssessment.objects.filter(hazard__log=log):
        assessment.rationale = f"Rationale for the {assessment.stage} risk; benefits outweigh the residual risk."
        assessment.save()
    for hazard in log.hazards.all():
        for control in hazard.controls.filter(kind=ControlKind.ADDITIONAL):
            control.owner = "Manufacturer"
            control.implementation_status = ImplementationStatus.VERIFIED
            control.evidence = "Test report TR-12"
            control.save()
    SafetyCase.objects.create(log=log, **{s.slug: f"Text of {s.title}." for s in SECTIONS})
    TestIssue.objects.create(log=log, reference="T1", description="Slow search", safety_impact="Delay only")
    return log
