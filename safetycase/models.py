"""The safety case of a hazard log: the report's narrative sections, its related documents and the
outstanding test issues. Clinical safety content: every change is kept in its history, nothing is deleted."""

from django.core.validators import MaxLengthValidator
from django.db import models
from simple_history.models import HistoricalRecords

from hazardlog.models import HazardLog
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
