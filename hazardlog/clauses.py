"""The clause of a log's own standard that a page cites for a requirement: the one place pages take a
citation from, so that a DCB0160 log never cites DCB0129.

DCB0160 mirrors DCB0129's structure for the deploying organisation (domain.md §6), but its clause numbers
are not in our sources, so a DCB0160 log names the requirement without a number rather than guess one.
"""

from hazardlog.models import Standard

CLAUSES = {
    "hazard_log_approval": {
        Standard.DCB0129: "DCB0129 3.3.2",
        Standard.DCB0160: "the hazard log clauses of DCB0160",
    },
    "issue_with_safety_case": {
        Standard.DCB0129: "DCB0129 3.3.3",
        Standard.DCB0160: "the safety case report clauses of DCB0160",
    },
    # The completeness checks of the safety case (safetycase/checks/), one requirement each.
    "safety_case": {Standard.DCB0129: "DCB0129 3.4.1", Standard.DCB0160: "the safety case clauses of DCB0160"},
    "risk_estimation": {
        Standard.DCB0129: "DCB0129 4.4.1",
        Standard.DCB0160: "the risk estimation clauses of DCB0160",
    },
    "residual_risk": {
        Standard.DCB0129: "DCB0129 6.1.3",
        Standard.DCB0160: "the residual risk clauses of DCB0160",
    },
    "benefit_risk": {
        Standard.DCB0129: "DCB0129 6.2.1",
        Standard.DCB0160: "the benefit–risk clauses of DCB0160",
    },
    "control_implementation": {
        Standard.DCB0129: "DCB0129 6.3.1",
        Standard.DCB0160: "the control implementation clauses of DCB0160",
    },
    "control_verification": {
        Standard.DCB0129: "DCB0129 6.3.2",
        Standard.DCB0160: "the control verification clauses of DCB0160",
    },
    "risk_acceptance": {
        Standard.DCB0129: "DCB0129 6.4.1",
        Standard.DCB0160: "the risk acceptance clauses of DCB0160",
    },
    "formal_review": {
        Standard.DCB0129: "DCB0129 7.1.2",
        Standard.DCB0160: "the safety review clauses of DCB0160",
    },
}


def cite(standard: str, requirement: str) -> str:
    """The citation of `requirement` in the log's standard; KeyError for a requirement not listed here."""
    return CLAUSES[requirement][standard]
