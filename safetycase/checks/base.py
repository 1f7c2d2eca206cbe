"""What a completeness check reads (plain data: an issue's frozen snapshot or the log as it is now) and what
it returns. Each check is a small function registered with the requirement of the standard it serves."""

from dataclasses import dataclass

from django.db import models

from hazardlog.clauses import cite


@dataclass(frozen=True)
class CaseData:
    standard: str
    snapshot: dict  # hazardlog.snapshot.to_json() of the log, or an issue's stored snapshot
    sections: dict  # section slug -> Markdown text
    test_issues: tuple = ()  # dicts: reference, description, safety_impact, hazard_references, status


@dataclass(frozen=True)
class Finding:
    """One thing to fix, with what to fix it on: a hazard (by number), a section (slug) or a test issue."""

    message: str
    hazard: str = ""
    section: str = ""
    test_issue: str = ""


@dataclass(frozen=True)
class Outcome:
    findings: tuple[Finding, ...]
    checked: int  # how many items the check looked at
    failed: int  # how many of them have a finding
    evidence: str
    awaiting: bool = False  # nothing wrong, but something is still to be done (such as verification)


class Answer(models.TextChoices):
    """The answers of the NHS DCB0129/DCB0160 compliance assessment."""

    YES = "yes", "Yes"
    NO = "no", "No"
    PARTIAL = "partial", "Partial"
    AWAITING = "awaiting", "Awaiting"
    NOT_APPLICABLE = "n/a", "Not applicable"


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    requirement: str  # a key of hazardlog.clauses.CLAUSES
    run: object  # CaseData -> Outcome


@dataclass(frozen=True)
class Result:
    check: Check
    citation: str
    outcome: Outcome

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.outcome.findings

    @property
    def answer(self) -> Answer:
        outcome = self.outcome
        if outcome.checked == 0:
            return Answer.NOT_APPLICABLE
        if outcome.failed:
            return Answer.NO if outcome.failed >= outcome.checked else Answer.PARTIAL
        return Answer.AWAITING if outcome.awaiting else Answer.YES


CHECKS: list[Check] = []


def check(key: str, title: str, requirement: str):
    def register(function):
        CHECKS.append(Check(key, title, requirement, function))
        return function

    return register


def outcome(findings: list[Finding], checked: int, evidence: str, *, failed=None, awaiting=False) -> Outcome:
    failed = len({(f.hazard, f.section, f.test_issue) for f in findings}) if failed is None else failed
    return Outcome(tuple(findings), checked, failed, evidence, awaiting)


def run_checks(case: CaseData) -> list[Result]:
    return [Result(item, cite(case.standard, item.requirement), item.run(case)) for item in CHECKS]
