"""The DCB0129 → DCB0160 hand-off: a manufacturer's issued hazard log brought into a deploying organisation's
log as an *upstream source*, its hazards kept as read-only copies, and the deployer's evaluation of each.

A source and its copies never change once brought in (DCB0129 3.1; refused here, and on PostgreSQL by the
triggers of migration 0002). The deployer's cover page and own hazards are never written by a bring-in: an
evaluation's local hazard is an ordinary hazard of the DCB0160 log, edited with the hazard editor.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from simple_history.models import HistoricalRecords

from hazardlog.models import Hazard, HazardLog, ImplementationStatus
from hazardlog.models.base import NoDeleteManager, NoDeleteModel, NoDeleteQuerySet
from hazardlog.text import CELL_MAX_CHARS, REFERENCE_MAX_LENGTH

REASON_MAX_CHARS = 2000
cell_length = [MaxLengthValidator(CELL_MAX_CHARS)]


class SourceImmutable(Exception):
    """Raised on any attempt to change an upstream source or its hazards once brought in."""


class ImmutableQuerySet(NoDeleteQuerySet):
    def update(self, **kwargs):
        raise SourceImmutable("A manufacturer's hazard log brought in is kept as it was: it cannot be changed.")


class ImmutableModel(NoDeleteModel):
    objects = NoDeleteManager.from_queryset(ImmutableQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise SourceImmutable("A manufacturer's hazard log brought in is kept as it was: it cannot be changed.")
        super().save(*args, **kwargs)


class SourceFormat(models.TextChoices):
    WORKBOOK = "workbook", "NHS hazard log workbook (.xlsx)"
    ISSUE_JSON = "issue_json", "JSON of an approved issue (Hazard Log app)"


class UpstreamSource(ImmutableModel):
    """One issued version of a manufacturer's hazard log, as received by the deploying organisation."""

    log = models.ForeignKey(HazardLog, on_delete=models.PROTECT, related_name="upstream_sources")
    manufacturer = models.CharField(max_length=200)
    system = models.CharField("system", max_length=200)
    version = models.CharField(max_length=50)
    issue_date = models.DateField("issue date", null=True, blank=True)
    format = models.CharField(max_length=10, choices=SourceFormat.choices)
    file_name = models.CharField(max_length=255)
    content = models.BinaryField(help_text="The file exactly as brought in.")
    sha256 = models.CharField("SHA-256", max_length=64)
    # The manufacturer's cover details as the file gave them (HazardLog field → text): kept here, never on the
    # deployer's own cover page.
    cover = models.JSONField(default=dict, blank=True)
    layout = models.CharField(max_length=40, blank=True)  # the reader's layout, or "issue JSON"
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
        help_text="The version of the manufacturer's log this one supersedes.",
    )
    brought_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    brought_in_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["content"])

    class Meta:
        ordering = ["log", "manufacturer", "system", "brought_in_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["log", "manufacturer", "system", "version"], name="upstream_version_once_per_log"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.system} version {self.version}"

    @property
    def title(self) -> str:
        return str(self)

    def snapshot(self) -> dict:
        """The source as a snapshot-shaped dict (what hazardlog.issues.diff_issues compares)."""
        hazards = [hazard.row for hazard in self.hazards.order_by("position")]
        return {**self.cover, "name": self.system, "matrix": {"name": ""}, "hazards": hazards}


class UpstreamHazard(ImmutableModel):
    """A read-only copy of one of the manufacturer's hazards in one source."""

    source = models.ForeignKey(UpstreamSource, on_delete=models.PROTECT, related_name="hazards")
    position = models.PositiveIntegerField()  # the order of the source
    reference = models.CharField("manufacturer's reference", max_length=REFERENCE_MAX_LENGTH)
    reference_key = models.CharField(max_length=REFERENCE_MAX_LENGTH)
    name = models.CharField(max_length=500)
    # The hazard as hazardlog.snapshot.HazardRow in JSON (as an approved issue's snapshot holds it): wording,
    # causes, controls with owner and status, the initial and residual ratings as the manufacturer gave them.
    row = models.JSONField()

    class Meta:
        ordering = ["source", "position"]
        constraints = [
            models.UniqueConstraint(fields=["source", "reference_key"], name="upstream_hazard_once_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def is_guidance(self) -> bool:
        """No ratings from the manufacturer (a consumer guidance log): the deployer must rate it locally."""
        return not self.row.get("initial") and not self.row.get("residual")

    def transferred_controls(self) -> list[dict]:
        from upstream.compare import transferred_controls

        return transferred_controls(self.row)


class Applicability(models.TextChoices):
    NOT_YET = "not_yet", "Not decided yet"
    YES = "yes", "Applies to this deployment"
    NO = "no", "Does not apply to this deployment"


class Evaluation(NoDeleteModel):
    """The deployer's evaluation of one manufacturer's hazard: one per DCB0160 log, manufacturer's log and
    hazard reference, carried from version to version of the manufacturer's log."""

    log = models.ForeignKey(HazardLog, on_delete=models.PROTECT, related_name="upstream_evaluations")
    manufacturer = models.CharField(max_length=200)
    system = models.CharField(max_length=200)
    reference = models.CharField("manufacturer's reference", max_length=REFERENCE_MAX_LENGTH)
    reference_key = models.CharField(max_length=REFERENCE_MAX_LENGTH)
    # The copy in the newest source that holds it; None once a newer source no longer has the hazard.
    upstream_hazard = models.ForeignKey(
        UpstreamHazard, null=True, blank=True, on_delete=models.PROTECT, related_name="evaluations"
    )
    applicable = models.CharField(max_length=7, choices=Applicability.choices, default=Applicability.NOT_YET)
    reason = models.TextField(
        "reason",
        blank=True,
        validators=[MaxLengthValidator(REASON_MAX_CHARS)],
        help_text="Why the hazard does or does not apply to this deployment.",
    )
    local_hazard = models.OneToOneField(
        Hazard, null=True, blank=True, on_delete=models.PROTECT, related_name="upstream_evaluation"
    )
    needs_review = models.BooleanField(default=False)
    what_changed = models.TextField(
        "what changed", blank=True, help_text="What changed in the manufacturer's new version."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["log", "manufacturer", "system", "reference_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["log", "manufacturer", "system", "reference_key"], name="one_evaluation_per_upstream_hazard"
            ),
            models.CheckConstraint(
                condition=~models.Q(applicable=Applicability.NO) | ~models.Q(reason=""),
                name="not_applicable_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(applicable__in=Applicability.values), name="applicability_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"Evaluation of {self.manufacturer} {self.reference}"

    @property
    def decided(self) -> bool:
        return self.applicable != Applicability.NOT_YET


class Decision(models.TextChoices):
    PENDING = "pending", "Not decided yet"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class TransferDecision(NoDeleteModel):
    """The deployer's decision on one control the manufacturer transferred to the deploying organisation."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="transfers")
    control_number = models.PositiveSmallIntegerField()
    description = models.TextField(validators=cell_length)  # the manufacturer's wording, as last brought in
    decision = models.CharField(max_length=8, choices=Decision.choices, default=Decision.PENDING)
    owner = models.CharField(max_length=200, blank=True, help_text="Who in the deploying organisation implements it.")
    implementation_status = models.CharField(
        max_length=12, choices=ImplementationStatus.choices, default=ImplementationStatus.PROPOSED
    )
    reason = models.TextField(blank=True, validators=[MaxLengthValidator(REASON_MAX_CHARS)])
    # False once a newer version of the manufacturer's log no longer transfers this control.
    current = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["evaluation", "control_number"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "control_number"], name="one_decision_per_transfer"),
            models.CheckConstraint(
                condition=~models.Q(decision=Decision.REJECTED) | ~models.Q(reason=""),
                name="rejected_transfer_has_reason",
            ),
            models.CheckConstraint(condition=models.Q(decision__in=Decision.values), name="decision_is_known"),
        ]

    def __str__(self) -> str:
        return f"Control {self.control_number}: {self.get_decision_display()}"
