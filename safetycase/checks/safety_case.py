"""The clinical safety case and its report (DCB0129 3.4, 7.1): every section written, and no outstanding
test issue without its safety impact."""

from safetycase.models import TestIssueStatus
from safetycase.sections import SECTIONS

from .base import Finding, check, outcome


@check("sections_filled", "Every section of the safety case report is written", "safety_case")
def sections_filled(case):
    findings = [
        Finding(f"The section “{section.title}” is empty.", section=section.slug)
        for section in SECTIONS
        if not case.sections.get(section.slug, "").strip()
    ]
    written = len(SECTIONS) - len(findings)
    return outcome(findings, len(SECTIONS), f"Sections written: {written} of {len(SECTIONS)}.")


@check("test_issue_impact", "No outstanding test issue is without its safety impact", "formal_review")
def test_issue_impact(case):
    outstanding = [t for t in case.test_issues if t["status"] == TestIssueStatus.OUTSTANDING]
    findings = [
        Finding(f"Test issue {t['reference']} is outstanding with no safety impact.", test_issue=t["reference"])
        for t in outstanding
        if not t["safety_impact"].strip()
    ]
    return outcome(findings, len(outstanding), f"Outstanding test issues: {len(outstanding)}.")
