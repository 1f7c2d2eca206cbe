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
}


def cite(standard: str, requirement: str) -> str:
    """The citation of `requirement` in the log's standard; KeyError for a requirement not listed here."""
    return CLAUSES[requirement][standard]
