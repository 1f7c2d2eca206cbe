"""The safety case of a hazard log: the report's narrative sections, its related documents and the
outstanding test issues. Clinical safety content: every change is kept in its history, nothing is deleted."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from hazardlog.models import HazardLog, LogIssue
from hazardlog.models.base import NoDeleteModel

from .sections import SECTIONS_BY_SLUG

SECTION_MAX_CHARS = 100_000


def _section(slug: str):
    return models.TextField(
        SECTIONS_BY_SLUG[slug].title, blank=True, validators=[MaxLengthValidator(SECTION_MAX_CHARS)]
    )


class SafetyCase(NoDeleteModel):
    """One per log, made on the first save of any of its parts."""

    log = models.OneToOneField(HazardLog, on_delete=models.PROTECT, related_name="safety_case")
    report_reference = models.CharField(
        "report document reference", max_length=100, blank=True, help_text="For example CSCR-ePMA-004."
    )
    crmp_reference = models.CharField(
        "Clinical Risk Management Plan reference",
        max_length=200,
        blank=True,
        help_text="The plan this work follows, for example CRMP-001 version 2.0.",
    )
    # The sections of sections.SECTIONS, in order.
    introduction = _section("introduction")
    system_definition = _section("system_definition")
    risk_management_system = _section("risk_management_system")
    risk_analysis = _section("risk_analysis")
    risk_evaluation = _section("risk_evaluation")
    risk_control = _section("risk_control")
    hazard_log = _section("hazard_log")
    test_issues = _section("test_issues")
    safety_statement = _section("safety_statement")
    quality_assurance = _section("quality_assurance")
    configuration_control = _section("configuration_control")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Safety case of {self.log}"


class RelatedDocument(NoDeleteModel):
    log = models.ForeignKey(HazardLog, on_delete=models.PROTECT, related_name="related_documents")
    title = models.CharField(max_length=300)
    reference = models.CharField(max_length=100, blank=True)
    version = models.CharField(max_length=50, blank=True)
    link = models.URLField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["log", "title", "pk"]

    def __str__(self) -> str:
        return self.title


class TestIssueStatus(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    RESOLVED = "resolved", "Resolved"


class TestIssue(NoDeleteModel):
    """A test issue and its safety impact. The hazards it touches are named by their numbers, so that a
    report shows them exactly as they were at an issue's approval (read from this record's history)."""

    __test__ = False  # not a pytest class, despite its name

    log = models.ForeignKey(HazardLog, on_delete=models.PROTECT, related_name="test_issues")
    reference = models.CharField("test issue ID", max_length=50)
    description = models.TextField(validators=[MaxLengthValidator(10_000)])
    safety_impact = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(10_000)],
        help_text="What the issue could mean for patients, and why it is acceptable to release with it.",
    )
    hazard_references = models.CharField(
        "linked hazards", max_length=1000, blank=True, help_text="Hazard numbers, separated by commas."
    )
    status = models.CharField(max_length=11, choices=TestIssueStatus.choices, default=TestIssueStatus.OUTSTANDING)

    history = HistoricalRecords()

    class Meta:
        ordering = ["log", "reference", "pk"]
        constraints = [models.UniqueConstraint(fields=["log", "reference"], name="test_issue_reference_unique_in_log")]

    def __str__(self) -> str:
        return f"{self.reference} {self.description[:60]}"

    @property
    def hazard_list(self) -> list[str]:
        return [ref.strip() for ref in self.hazard_references.split(",") if ref.strip()]


# --- Signing an issue ---------------------------------------------------------------------------------


class Signatory(NoDeleteModel):
    """What a signature names besides the account's full name: the signer's professional registration and
    job title, kept by the signer on "Your signature details". A signed issue copies them (IssueSignature),
    so a later change here never changes what was signed."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatory")
    professional_body = models.CharField(
        max_length=100, help_text="The body you are registered with, for example NMC, GMC, HCPC or GPhC."
    )
    registration_number = models.CharField(max_length=50, help_text="Your number on that body's register.")
    job_title = models.CharField(max_length=200, help_text="For example Chief Nursing Information Officer.")

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()}, {self.registration}"

    @property
    def registration(self) -> str:
        return f"{self.professional_body} {self.registration_number}".strip()

    @property
    def complete(self) -> bool:
        return bool(self.professional_body.strip() and self.registration_number.strip() and self.job_title.strip())


class ReviewOutcome(models.TextChoices):
    REVIEWED = "reviewed", "Content reviewed"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class Review(NoDeleteModel):
    """A member asked to review the draft of a log's next issue, and their review once recorded. The reviews
    recorded since the latest issue become the next issue's reviewers (copied into its IssueSignature)."""

    log = models.ForeignKey(HazardLog, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    request_note = models.TextField(
        "what to look at", blank=True, validators=[MaxLengthValidator(2000)], help_text="Optional."
    )
    # Filled when the reviewer records the review; then never changed.
    recorded_at = models.DateTimeField(null=True, blank=True)
    reviewer_name = models.CharField(max_length=300, blank=True)
    reviewer_title = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=17, choices=ReviewOutcome.choices, blank=True)
    comments = models.TextField(blank=True, validators=[MaxLengthValidator(10_000)])

    history = HistoricalRecords()

    class Meta:
        ordering = ["log", "requested_at", "pk"]

    def __str__(self) -> str:
        return f"Review of {self.log} by {self.reviewer}"

    @property
    def recorded(self) -> bool:
        return self.recorded_at is not None


class FrozenRecordChanged(Exception):
    """Raised on any attempt to change or delete a signature or a frozen report of an approved issue."""


class FrozenQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise FrozenRecordChanged(f"{self.model._meta.verbose_name_plural.capitalize()} are never changed.")

    def delete(self):
        raise FrozenRecordChanged(f"{self.model._meta.verbose_name_plural.capitalize()} are never deleted.")


class FrozenModel(models.Model):
    """Written once, then never changed or deleted (and on PostgreSQL a trigger refuses it, migration 0003)."""

    objects = models.Manager.from_queryset(FrozenQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise FrozenRecordChanged(f"A {self._meta.verbose_name} is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenRecordChanged(f"A {self._meta.verbose_name} is never deleted.")


SIGNATURE_MEANING = "Approved as Clinical Safety Officer"


class IssueSignature(FrozenModel):
    """The CSO's signature of an approved issue, as at signing: who, their registration and job title then,
    what the signature means, whether the password was entered again, the completeness findings approved
    with and why, and the reviews recorded since the issue before."""

    issue = models.OneToOneField(LogIssue, on_delete=models.PROTECT, related_name="signature")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    meaning = models.CharField(max_length=200, default=SIGNATURE_MEANING)
    name = models.CharField(max_length=300)
    professional_body = models.CharField(max_length=100, blank=True)
    registration_number = models.CharField(max_length=50, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField()
    password_confirmed = models.BooleanField(
        default=False, help_text="Whether the signer entered their password again to sign (the approval page asks)."
    )
    findings_count = models.PositiveIntegerField(default=0)
    findings_justification = models.TextField(blank=True)
    # [{"name", "title", "date" (ISO), "outcome" (label), "comments"}], in the order recorded.
    reviewers = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.meaning}: {self.signed_name} ({self.issue})"

    @property
    def registration(self) -> str:
        return f"{self.professional_body} {self.registration_number}".strip()

    @property
    def signed_name(self) -> str:
        """The name as the issue's workbook and report write it: with the registration when there is one."""
        return f"{self.name} ({self.registration})" if self.registration else self.name


class ReportFormat(models.TextChoices):
    DOCX = "docx", "Word (.docx)"
    PDF = "pdf", "PDF"


class FrozenReport(FrozenModel):
    """The Clinical Safety Case Report of an approved issue, exactly as generated, with its SHA-256. The DOCX
    is made in the approval's own transaction; the PDF is converted from that DOCX on its first download."""

    issue = models.ForeignKey(LogIssue, on_delete=models.PROTECT, related_name="frozen_reports")
    format = models.CharField(max_length=4, choices=ReportFormat.choices)
    content = models.BinaryField()
    sha256 = models.CharField("SHA-256", max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    at_approval = models.BooleanField(
        default=True, help_text="Made when the issue was approved (not later, for an issue approved before this)."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "format"], name="one_frozen_report_per_format")]

    def __str__(self) -> str:
        return f"Report of {self.issue} ({self.format})"
