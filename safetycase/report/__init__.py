"""The Clinical Safety Case Report of an approved issue, as DOCX and as PDF (the same document, converted).

Everything it shows comes from the issue: its frozen snapshot for the hazards, and the safety case, test
issues and related documents as their history held them at the moment of approval."""

from hazardlog import issues
from hazardlog.models import LogIssue

from .. import services
from ..checks import run_checks
from .pdf import PdfUnavailable, docx_to_pdf
from .writer import ReportInput, write_docx

REPORT_FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}

__all__ = ["REPORT_FORMATS", "PdfUnavailable", "report_input", "safety_case_report"]


def previous_issue(issue) -> LogIssue | None:
    earlier = [
        other
        for other in issue.log.issues.only("id", "number")
        if issues.number_key(other.number) < issues.number_key(issue.number)
    ]
    latest = max(earlier, key=lambda other: issues.number_key(other.number), default=None)
    return LogIssue.objects.get(pk=latest.pk) if latest else None


def report_input(issue) -> ReportInput:
    case = services.issued_case(issue)
    previous = previous_issue(issue)
    return ReportInput(
        issue=issue,
        case=case,
        details=services.issued_details(issue),
        documents=services.issued_documents(issue),
        results=run_checks(case),
        diff=issues.diff_issues(previous, issue) if previous else None,
    )


def safety_case_report(issue, report_format: str) -> bytes:
    docx = write_docx(report_input(issue))
    return docx_to_pdf(docx) if report_format == "pdf" else docx
