"""The Clinical Safety Case Report of an approved issue, as DOCX and as PDF (the same document, converted).

Everything it shows comes from the issue: its frozen snapshot for the hazards, its signature, and the safety
case, test issues and related documents as their history held them at the moment of approval. Approving
an issue freezes its DOCX (`FrozenReport`); the PDF is converted from that frozen DOCX on its first request
and frozen too. A draft of the next issue's report can be previewed (marked DRAFT) before approval."""

from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.utils import timezone

from hazardlog import issues, snapshot
from hazardlog.models import LogIssue

from .. import services
from ..checks import run_checks
from ..models import FrozenReport, IssueSignature, ReportFormat
from ..signing import freeze
from .pdf import PdfUnavailable, docx_to_pdf
from .writer import ReportInput, write_docx

REPORT_FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}

__all__ = [
    "REPORT_FORMATS",
    "FrozenReportAltered",
    "PdfUnavailable",
    "draft_report",
    "frozen_report",
    "report_input",
    "safety_case_docx",
    "safety_case_report",
]


class FrozenReportAltered(Exception):
    """A frozen report's bytes no longer match the SHA-256 recorded when it was frozen."""

    def __init__(self, report: FrozenReport, computed: str):
        super().__init__(f"The frozen {report.format} report of {report.issue} does not match its SHA-256.")
        self.report, self.computed = report, computed


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
        signature=IssueSignature.objects.filter(issue=issue).first(),
        upstream_sources=_upstream_sources(issue.log, issue.approved_at),
    )


def _upstream_sources(log, moment) -> list[dict]:
    """A DCB0160 log's manufacturers' logs as brought in at `moment` (DCB0160 requires the manufacturer's
    safety case as an input); none for a DCB0129 log."""
    from hazardlog.models import Standard
    from upstream.export import sources_at

    return sources_at(log, moment) if log.standard == Standard.DCB0160 else []


def safety_case_docx(issue) -> bytes:
    """The issue's report generated now, from its frozen data (the approval freezes this)."""
    return write_docx(report_input(issue))


def safety_case_report(issue, report_format: str) -> bytes:
    """The report generated now, in either format (what the benchmark times); downloads serve `frozen_report`."""
    docx = safety_case_docx(issue)
    return docx_to_pdf(docx) if report_format == "pdf" else docx


def _checked(report: FrozenReport) -> FrozenReport:
    computed = issues.sha256(bytes(report.content))
    if computed != report.sha256:
        raise FrozenReportAltered(report, computed)
    return report


def frozen_report(issue, report_format: str) -> FrozenReport:
    """The issue's frozen report, checked against its SHA-256. An issue approved before reports were frozen
    gets its DOCX generated and frozen now (`at_approval` False); the PDF is converted from the frozen DOCX on
    its first request and frozen. Raises FrozenReportAltered, or PdfUnavailable."""
    stored = FrozenReport.objects.filter(issue=issue, format=report_format).first()
    if stored is not None:
        return _checked(stored)
    if report_format == ReportFormat.DOCX:
        content, at_approval = safety_case_docx(issue), False
    else:
        docx = frozen_report(issue, ReportFormat.DOCX)
        content, at_approval = docx_to_pdf(bytes(docx.content)), False
    try:
        with transaction.atomic():
            return freeze(issue, report_format, content, at_approval=at_approval)
    except IntegrityError:  # frozen by a request that ran at the same time: theirs stands
        return _checked(FrozenReport.objects.get(issue=issue, format=report_format))


def draft_report(log) -> bytes:
    """The report the next issue would have if approved now, marked DRAFT on every page."""
    data = snapshot.to_json(snapshot.build_snapshot(log))
    latest = issues.latest_issue(log)
    draft = SimpleNamespace(
        number=f"draft after issue {latest.number}" if latest else "draft",
        approved_at=timezone.now(),
        meaning="",
        workbook_sha256="not issued yet",
        snapshot=data,
        log=log,
    )
    case = services.live_case(log)
    case = type(case)(case.standard, data, case.sections, case.test_issues)
    return write_docx(
        ReportInput(
            issue=draft,
            case=case,
            details=services.safety_case_of(log),
            documents=list(log.related_documents.order_by("title")),
            results=run_checks(case),
            diff=issues.diff_issues(LogIssue.objects.get(pk=latest.pk), draft) if latest else None,
            signature=None,
            draft=True,
            upstream_sources=_upstream_sources(log, None),
        )
    )
