"""Risk estimation and evaluation (DCB0129 4.4, 6.1): every hazard assessed before and after its controls,
each assessment with its rationale."""

from .base import Finding, check, outcome


def _assessed(case, stage: str, label: str):
    findings = []
    hazards = case.snapshot["hazards"]
    for hazard in hazards:
        assessment = hazard[stage]
        if assessment is None:
            findings.append(
                Finding(f"{hazard['reference']} has no {label} risk assessment.", hazard=hazard["reference"])
            )
        elif not assessment["rationale"].strip():
            findings.append(
                Finding(
                    f"{hazard['reference']}: the {label} risk assessment has no rationale.", hazard=hazard["reference"]
                )
            )
    done = len(hazards) - len(findings)
    return outcome(
        findings, len(hazards), f"Hazards with a {label} assessment and its rationale: {done} of {len(hazards)}."
    )


@check("initial_assessment", "Every hazard has an initial risk assessment with a rationale", "risk_estimation")
def initial_assessment(case):
    return _assessed(case, "initial", "initial")


@check("residual_assessment", "Every hazard has a residual risk assessment with a rationale", "residual_risk")
def residual_assessment(case):
    return _assessed(case, "residual", "residual")
