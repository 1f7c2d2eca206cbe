"""Risk control and acceptance (DCB0129 6.2–6.4): residual risk above acceptable is justified and owned,
closures and transfers say why (and to whom), every additional control is owned and tracked to verification."""

from hazardlog.models import ControlKind, HazardStatus, ImplementationStatus

from .base import Finding, check, outcome


def acceptable_rating(matrix: dict) -> int:
    """Only the matrix's lowest rating is accepted without more: every rating above it (in the NHS matrix,
    from "Tolerable" up) is acceptable only where further reduction is impractical, which needs saying."""
    return min(number for number, *_ in matrix["ratings"])


def _rating_label(matrix: dict, number: int) -> str:
    return next(f"{n} ({label})" for n, label, *_ in matrix["ratings"] if n == number)


@check(
    "unacceptable_justified",
    "Every hazard whose residual risk is not acceptable has a benefit–risk justification and an owner",
    "benefit_risk",
)
def unacceptable_justified(case):
    matrix = case.snapshot["matrix"]
    findings, above = (
        [],
        [h for h in case.snapshot["hazards"] if h["residual"] and h["residual"]["rating"] > acceptable_rating(matrix)],
    )
    for hazard in above:
        reference, rating = hazard["reference"], _rating_label(matrix, hazard["residual"]["rating"])
        if not hazard["residual"]["rationale"].strip():
            findings.append(
                Finding(
                    f"{reference}: residual risk {rating} is above acceptable; write the benefit–risk justification "
                    "in the residual assessment's rationale.",
                    hazard=reference,
                )
            )
        if not hazard["owner"].strip():
            findings.append(
                Finding(
                    f"{reference}: residual risk {rating} is above acceptable and the hazard has no owner.",
                    hazard=reference,
                )
            )
    return outcome(findings, len(above), f"Hazards with a residual risk above acceptable: {len(above)}.")


@check("closure_reason", "No hazard is closed or transferred without a reason", "risk_acceptance")
def closure_reason(case):
    ended = [h for h in case.snapshot["hazards"] if h["status"] != HazardStatus.OPEN]
    findings = [
        Finding(f"{h['reference']} is {h['status']} without a reason.", hazard=h["reference"])
        for h in ended
        if not h["status_reason"].strip()
    ]
    return outcome(
        findings,
        len(ended),
        f"Closed or transferred hazards that say why: {len(ended) - len(findings)} of {len(ended)}.",
    )


@check("transfer_recipient", "A transferred hazard names who it went to (its owner)", "control_implementation")
def transfer_recipient(case):
    transferred = [h for h in case.snapshot["hazards"] if h["status"] == HazardStatus.TRANSFERRED]
    findings = [
        Finding(f"{h['reference']} is transferred but names no owner to whom it went.", hazard=h["reference"])
        for h in transferred
        if not h["owner"].strip()
    ]
    return outcome(findings, len(transferred), f"Transferred hazards: {len(transferred)}.")


def _additional_controls(case):
    for hazard in case.snapshot["hazards"]:
        for control in hazard["controls"]:
            if control["kind"] == ControlKind.ADDITIONAL:
                yield hazard["reference"], control


@check(
    "control_tracking", "Every additional control has an owner and an implementation status", "control_implementation"
)
def control_tracking(case):
    findings, controls = [], list(_additional_controls(case))
    for reference, control in controls:
        missing = [
            name
            for name, key in (("owner", "owner"), ("implementation status", "implementation_status"))
            if not control[key].strip()
        ]
        if missing:
            findings.append(
                Finding(
                    f"{reference}: additional control {control['number']} has no {' and no '.join(missing)}.",
                    hazard=reference,
                )
            )
    failed = len(findings)
    return outcome(
        findings,
        len(controls),
        f"Additional controls with an owner and a status: {len(controls) - failed} of {len(controls)}.",
        failed=failed,
    )


@check("control_evidence", "Every verified additional control has its evidence", "control_verification")
def control_evidence(case):
    controls = list(_additional_controls(case))
    verified = [(ref, c) for ref, c in controls if c["implementation_status"] == ImplementationStatus.VERIFIED]
    findings = [
        Finding(f"{ref}: additional control {c['number']} is verified but has no evidence.", hazard=ref)
        for ref, c in verified
        if not (c["evidence"].strip() or c["evidence_url"].strip())
    ]
    waiting = len(controls) - len(verified)
    return outcome(
        findings,
        len(controls),
        f"Additional controls verified: {len(verified)} of {len(controls)}; "
        f"with their evidence: {len(verified) - len(findings)}.",
        failed=len(findings),
        awaiting=waiting > 0,
    )
