"""Writes to a log's safety case, each in one transaction with the user and the reason in the history, and
the plain data the checks and the report read: the log as it is now, or an approved issue as it was."""

from django.db import transaction

from hazardlog import snapshot
from hazardlog.models import HazardLog
from hazardlog.services import _track

from .checks import CaseData
from .models import RelatedDocument, SafetyCase, TestIssue
from .sections import SECTIONS

TEST_ISSUE_FIELDS = ("reference", "description", "safety_impact", "hazard_references", "status")


def safety_case_of(log) -> SafetyCase:
    """The log's safety case, or an empty unsaved one before its first save."""
    return SafetyCase.objects.filter(log=log).first() or SafetyCase(log=log)


def save_safety_case(log, values: dict, user, reason: str) -> SafetyCase:
    """Set fields of the log's safety case (sections or details), creating it on the first save."""
    with transaction.atomic():
        # Locks the log: two first saves cannot both create the safety case.
        HazardLog.objects.select_for_update().get(pk=log.pk)
        case = safety_case_of(log)
        for name, value in values.items():
            setattr(case, name, value)
        _track(case, user, reason).save()
    return case


def save_record(record, user, reason: str):
    """Save a related document or a test issue."""
    with transaction.atomic():
        _track(record, user, reason).save()
    return record


def _sections(case: SafetyCase | None) -> dict:
    return {section.slug: getattr(case, section.slug) if case else "" for section in SECTIONS}


def _test_issues(queryset) -> tuple:
    return tuple({name: getattr(t, name) for name in TEST_ISSUE_FIELDS} for t in queryset.order_by("reference"))


def live_sections(log) -> dict:
    return _sections(SafetyCase.objects.filter(log=log).first())


def live_test_issues(log) -> tuple:
    return _test_issues(TestIssue.objects.filter(log=log))


def live_case(log) -> CaseData:
    """The log and its safety case as they are now: what the checks page shows before an issue is approved."""
    return CaseData(
        standard=log.standard,
        snapshot=snapshot.to_json(snapshot.build_snapshot(log)),
        sections=live_sections(log),
        test_issues=live_test_issues(log),
    )


def issued_case(issue) -> CaseData:
    """An approved issue as it was approved: its frozen snapshot, and the safety case, test issues read from
    their history at the moment of approval (later edits do not change an issued report)."""
    moment = issue.approved_at
    case = SafetyCase.history.as_of(moment).filter(log_id=issue.log_id).first()
    return CaseData(
        standard=issue.snapshot["standard"],
        snapshot=issue.snapshot,
        sections=_sections(case),
        test_issues=_test_issues(TestIssue.history.as_of(moment).filter(log_id=issue.log_id)),
    )


def issued_documents(issue) -> list:
    return list(RelatedDocument.history.as_of(issue.approved_at).filter(log_id=issue.log_id).order_by("title"))


def issued_details(issue) -> SafetyCase | None:
    return SafetyCase.history.as_of(issue.approved_at).filter(log_id=issue.log_id).first()
