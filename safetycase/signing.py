"""The Clinical Safety Officer's signature of an issue, the reviews before it, and the report frozen at it.

`hazardlog.issues.approve_issue` calls `signer_of`, `reviews_for_next_issue`, `findings_at_approval`, `sign`
and `freeze_docx` inside its own transaction, so an issue, its signature and its report are written together
or not at all. The approval page re-authenticates (`reauthenticate`) before it calls the service.
"""

import dataclasses
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from hazardlog import issues
from hazardlog.access import role_in
from hazardlog.models import Role
from hazardlog.services import _track

from .models import FrozenReport, IssueSignature, ReportFormat, Review, ReviewOutcome, Signatory

NO_SIGNATORY_MESSAGE = (
    "Enter your professional registration and job title on “Your signature details” before you sign: "
    "an approved issue names the Clinical Safety Officer with their registration."
)
WRONG_PASSWORD_MESSAGE = "The password is not right: enter the password you sign in with"  # noqa: S105 (a message)
NO_PASSWORD_MESSAGE = "Enter your password to sign the approval"  # noqa: S105 (a message)
JUSTIFICATION_REQUIRED_MESSAGE = "Enter why this issue is approved with these findings"
JUSTIFICATION_MAX_CHARS = 10_000


@dataclass(frozen=True)
class Signer:
    """Who signs, as at signing."""

    user: object
    name: str
    professional_body: str
    registration_number: str
    job_title: str

    @property
    def registration(self) -> str:
        return f"{self.professional_body} {self.registration_number}".strip()

    @property
    def signed_name(self) -> str:
        return f"{self.name} ({self.registration})" if self.registration else self.name


def signatory_of(user) -> Signatory | None:
    return Signatory.objects.filter(user=user).first() if user.is_authenticated else None


def can_sign(user) -> bool:
    signatory = signatory_of(user)
    return bool(user.get_full_name() and signatory and signatory.complete)


def signer_of(user) -> Signer:
    signatory = signatory_of(user)
    return Signer(
        user=user,
        name=issues.approver_name(user),
        professional_body=signatory.professional_body if signatory else "",
        registration_number=signatory.registration_number if signatory else "",
        job_title=signatory.job_title if signatory else "",
    )


def reauthenticate(request, password: str) -> bool:
    """Whether `password` is the signed-in user's own. Through Django's `authenticate`, so django-axes counts a
    wrong password as a failed sign-in, and refuses (its locked-out page) once the account or address is locked."""
    if not password:
        return False
    user = request.user
    checked = authenticate(request, username=user.get_username(), password=password)
    return checked is not None and checked.pk == user.pk


def save_signatory(user, values: dict, reason: str) -> Signatory:
    with transaction.atomic():
        signatory = Signatory.objects.select_for_update().filter(user=user).first() or Signatory(user=user)
        for name, value in values.items():
            setattr(signatory, name, value)
        _track(signatory, user, reason).save()
    return signatory


# Reviews --------------------------------------------------------------------------------------------


def reviews_for_next_issue(log):
    """The reviews recorded since the log's latest issue (all of them before the first): the next issue's."""
    latest = issues.latest_issue(log)
    recorded = Review.objects.filter(log=log, recorded_at__isnull=False).select_related("reviewer")
    if latest is not None:
        recorded = recorded.filter(recorded_at__gt=log.issues.get(pk=latest.pk).approved_at)
    return recorded.order_by("recorded_at", "pk")


def open_requests(log):
    return Review.objects.filter(log=log, recorded_at__isnull=True).select_related("reviewer", "requested_by")


def request_review(log, reviewer, note: str, user) -> Review:
    with transaction.atomic():
        review = Review(log=log, reviewer=reviewer, requested_by=user, request_note=note)
        _track(review, user, f"Review requested from {issues.approver_name(reviewer)}").save()
    return review


def record_review(review: Review, outcome: str, comments: str, user) -> Review:
    """The reviewer's review, with their name and job title as at recording. Once recorded it is final."""
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        if review.recorded or review.reviewer_id != user.pk:
            raise ValueError("This review is recorded already, or is not yours to record.")
        signatory = signatory_of(user)
        review.reviewer_name = issues.approver_name(user)
        review.reviewer_title = signatory.job_title if signatory and signatory.job_title else _role_title(review)
        review.outcome, review.comments, review.recorded_at = outcome, comments, timezone.now()
        _track(review, user, f"Review recorded: {ReviewOutcome(outcome).label}").save()
    return review


def _role_title(review: Review) -> str:
    role = role_in(review.reviewer, review.log)
    return f"{Role(role).label} of the log" if role else "Reviewer"


def reviewer_rows(reviews) -> list[dict]:
    return [
        {
            "name": review.reviewer_name,
            "title": review.reviewer_title,
            "date": timezone.localtime(review.recorded_at).date().isoformat(),
            "outcome": ReviewOutcome(review.outcome).label,
            "comments": review.comments,
        }
        for review in reviews
    ]


# The issue's documents -------------------------------------------------------------------------------


def signed_issue_rows(rows: tuple, log) -> tuple:
    """The snapshot's issue rows, each earlier issue named as its signature named it (with the registration)."""
    signed = {
        signature.issue.number: signature.signed_name
        for signature in IssueSignature.objects.filter(issue__log=log).select_related("issue")
    }
    return tuple(dataclasses.replace(row, approved_by=signed.get(row.number, row.approved_by)) for row in rows)


def with_reviewers(document_history: list, log, pending: list[dict] = (), number: str = "") -> list:
    """The log's Version History rows plus each signed issue's reviewers (and `pending`, the reviewers of
    the issue being approved as `number`), as the workbook's "Reviewers" table lists them."""
    rows = list(document_history)
    seen = {(row.get("table"), row.get("name"), row.get("version")) for row in rows}
    signed = [
        (signature.issue.number, signature.reviewers)
        for signature in IssueSignature.objects.filter(issue__log=log).select_related("issue").order_by("signed_at")
    ]
    for version, reviewers in [*signed, (number, list(pending))]:
        for reviewer in reviewers:
            if ("reviewer", reviewer["name"], version) not in seen:
                seen.add(("reviewer", reviewer["name"], version))
                row = {"table": "reviewer", "version": version, "date": reviewer["date"], "description": ""}
                rows.append(row | {"name": reviewer["name"], "role": reviewer["title"]})
    return rows


def findings_at_approval(log, snapshot_json: dict) -> list:
    """The completeness findings of the log about to be issued (its snapshot, the safety case as it is)."""
    from .checks import CaseData, run_checks
    from .services import live_sections, live_test_issues

    case = CaseData(log.standard, snapshot_json, live_sections(log), live_test_issues(log))
    return [finding for result in run_checks(case) for finding in result.findings]


def sign(issue, signer: Signer, *, reviewers: list[dict], findings: int, justification: str, password_confirmed: bool):
    signature = IssueSignature(
        issue=issue,
        signer=signer.user,
        name=signer.name,
        professional_body=signer.professional_body,
        registration_number=signer.registration_number,
        job_title=signer.job_title,
        signed_at=issue.approved_at,
        password_confirmed=password_confirmed,
        findings_count=findings,
        findings_justification=justification,
        reviewers=reviewers,
    )
    signature.save()
    return signature


def freeze(issue, report_format: str, content: bytes, *, at_approval: bool) -> FrozenReport:
    report = FrozenReport(
        issue=issue, format=report_format, content=content, sha256=issues.sha256(content), at_approval=at_approval
    )
    report.save()
    return report


def freeze_docx(issue, *, at_approval: bool = True) -> FrozenReport:
    from .report import safety_case_docx

    return freeze(issue, ReportFormat.DOCX, safety_case_docx(issue), at_approval=at_approval)
