"""A hazard with its causes, controls and two risk assessments (initial and residual)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from hazardlog.sorting import sort_text
from hazardlog.text import CELL_MAX_CHARS, REFERENCE_MAX_LENGTH, normalise_reference, reference_key

from .base import NoDeleteModel, fits_in_a_cell
from .log import HazardLog
from .matrix import LikelihoodLevel, RiskRating, SeverityLevel

cell_length = [MaxLengthValidator(CELL_MAX_CHARS)]


class HazardStatus(models.TextChoices):
    OPEN = "open", "Open"
    TRANSFERRED = "transferred", "Transferred"
    CLOSED = "closed", "Closed"


class Hazard(NoDeleteModel):
    log = models.ForeignKey(HazardLog, on_delete=models.PROTECT, related_name="hazards")
    reference = models.CharField("hazard number", max_length=REFERENCE_MAX_LENGTH)
    # Case-folded reference: the database keeps references unique within a log whatever their case.
    reference_key = models.CharField(max_length=REFERENCE_MAX_LENGTH, editable=False)
    # The reference with its numbers zero-padded, so the database lists H2 before H10 (hazardlog.sorting).
    reference_sort = models.CharField(max_length=300, editable=False, default="")
    name = models.CharField("hazard name", max_length=500)
    description = models.TextField("hazard description", blank=True, validators=cell_length)
    clinical_impact = models.TextField("potential clinical impact", blank=True, validators=cell_length)
    hazard_type = models.CharField(max_length=200, blank=True)
    owner = models.CharField(max_length=200, blank=True)
    actions = models.TextField("summary of actions/notes", blank=True, validators=cell_length)
    status = models.CharField(max_length=12, choices=HazardStatus.choices, default=HazardStatus.OPEN)
    status_reason = models.TextField(
        "reason for the status",
        blank=True,
        validators=cell_length,
        help_text="Why the hazard was closed or transferred (and to whom).",
    )
    # A hazard written down by mistake cannot be deleted (DCB0129 3.1): it is marked, with why, and then
    # left out of exports, issues, the hazard list and the counts. The mark can be taken back.
    entered_in_error = models.BooleanField(default=False)
    entered_in_error_reason = models.TextField("why it was entered in error", blank=True, validators=cell_length)
    raised_on = models.DateField("date raised", default=timezone.localdate)
    # Columns of an imported workbook that no field holds, kept as [[header, text], …] in the workbook's
    # order and written back after the template's columns on export: an import drops nothing.
    additional_columns = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField("last updated", auto_now=True)
    # Moves on every save of the hazard and on every write under it (migration 0008's triggers); an edit
    # carries the revision it started from, and a save from an older one is refused (no lost updates).
    revision = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords()
    natural_key_fields = ("log__name", "log__standard", "reference_key")

    class Meta:
        ordering = ["log", "reference_key"]
        constraints = [
            models.UniqueConstraint(fields=["log", "reference_key"], name="hazard_reference_unique_in_log"),
            models.CheckConstraint(
                condition=models.Q(status=HazardStatus.OPEN) | ~models.Q(status_reason=""),
                name="closed_or_transferred_hazard_has_reason",
            ),
            models.CheckConstraint(condition=models.Q(status__in=HazardStatus.values), name="hazard_status_is_known"),
            models.CheckConstraint(
                condition=models.Q(entered_in_error=False) | ~models.Q(entered_in_error_reason=""),
                name="hazard_entered_in_error_has_reason",
            ),
            *fits_in_a_cell(
                "description", "clinical_impact", "actions", "status_reason", "entered_in_error_reason", prefix="hazard"
            ),
        ]
        indexes = [models.Index(fields=["log", "reference_sort", "id"], name="hazard_natural_order")]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    def clean(self):
        try:
            self.reference = normalise_reference(self.reference)
        except ValidationError as error:
            raise ValidationError({"reference": error.messages}) from None
        if self.status != HazardStatus.OPEN and not self.status_reason.strip():
            raise ValidationError({"status_reason": f"Enter why the hazard is {self.get_status_display().lower()}."})
        if self.log_id:
            clash = Hazard.objects.filter(log_id=self.log_id, reference_key=reference_key(self.reference))
            if self.pk:
                clash = clash.exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"reference": f"Hazard {self.reference} is already in this log."})

    def save(self, *args, **kwargs):
        self.reference = normalise_reference(self.reference)
        self.reference_key = reference_key(self.reference)
        self.reference_sort = sort_text(self.reference)
        if self.pk:
            # From the stored revision, not the one in memory: a write to a cause, control or assessment
            # moves it in the database (migration 0008), and a stale copy must never write it back lower.
            stored = Hazard.objects.filter(pk=self.pk).values_list("revision", flat=True).first()
            self.revision = (self.revision if stored is None else stored) + 1
        super().save(*args, **kwargs)

    def assessment(self, stage: str):
        """The initial or residual assessment, using prefetched assessments when present."""
        for item in self.assessments.all():
            if item.stage == stage:
                return item
        return None


class Cause(NoDeleteModel):
    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="causes")
    number = models.PositiveSmallIntegerField()
    description = models.TextField(validators=cell_length)
    # The workbook's own id of the cause (e.g. "0101"), which other documents cite.
    source_id = models.CharField("source id", max_length=20, blank=True)
    withdrawn = models.BooleanField(default=False, help_text="Withdrawn causes are kept but left out of exports.")
    withdrawn_reason = models.TextField(blank=True)

    history = HistoricalRecords()
    natural_key_fields = ("hazard__log__name", "hazard__log__standard", "hazard__reference_key", "number")

    class Meta:
        ordering = ["hazard", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hazard", "number"], name="cause_number_unique_in_hazard"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="cause_number_from_1"),
            *fits_in_a_cell("description", prefix="cause"),
        ]

    def __str__(self) -> str:
        return f"{self.number}) {self.description}"


class ControlKind(models.TextChoices):
    EXISTING = "existing", "Existing"
    ADDITIONAL = "additional", "Additional"


class ControlType(models.TextChoices):
    DESIGN = "design", "Design"
    TEST = "test", "Test"
    TRAINING = "training", "Training"
    BUSINESS_PROCESS_CHANGE = "bpc", "Business Process Change"


class ImplementationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    IMPLEMENTED = "implemented", "Implemented"
    VERIFIED = "verified", "Verified"


class Control(NoDeleteModel):
    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="controls")
    number = models.PositiveSmallIntegerField()
    description = models.TextField(validators=cell_length)
    kind = models.CharField(max_length=10, choices=ControlKind.choices)
    # The NHS template gives existing controls no type; additional controls always have one.
    control_type = models.CharField("type", max_length=10, choices=ControlType.choices, blank=True)
    owner = models.CharField(
        max_length=200, blank=True, help_text="For example the manufacturer or the deploying organisation."
    )
    implementation_status = models.CharField(
        max_length=12, choices=ImplementationStatus.choices, default=ImplementationStatus.PROPOSED
    )
    evidence = models.TextField(blank=True, validators=cell_length)
    evidence_url = models.URLField("evidence link", max_length=500, blank=True)
    source_id = models.CharField("source id", max_length=200, blank=True)  # the workbook's ids: "010101, 010201"
    additional_columns = models.JSONField(default=list, blank=True)  # as Hazard.additional_columns
    causes = models.ManyToManyField(
        Cause, blank=True, related_name="controls", help_text="The causes this control answers."
    )
    withdrawn = models.BooleanField(default=False, help_text="Withdrawn controls are kept but left out of exports.")
    withdrawn_reason = models.TextField(blank=True)

    history = HistoricalRecords(m2m_fields=[causes])
    natural_key_fields = ("hazard__log__name", "hazard__log__standard", "hazard__reference_key", "number")

    class Meta:
        ordering = ["hazard", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hazard", "number"], name="control_number_unique_in_hazard"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="control_number_from_1"),
            models.CheckConstraint(
                condition=models.Q(kind=ControlKind.EXISTING) | ~models.Q(control_type=""),
                name="additional_control_has_type",
            ),
            models.CheckConstraint(condition=models.Q(kind__in=ControlKind.values), name="control_kind_is_known"),
            *fits_in_a_cell("description", "evidence", prefix="control"),
        ]

    def __str__(self) -> str:
        return f"{self.number}) {self.description}"

    def clean(self):
        if self.kind == ControlKind.ADDITIONAL and not self.control_type:
            raise ValidationError({"control_type": "Choose the type of this additional control."})


class Stage(models.TextChoices):
    INITIAL = "initial", "Initial"
    RESIDUAL = "residual", "Residual"


class RiskAssessment(NoDeleteModel):
    """Severity and likelihood at one stage; the rating is looked up in the log's matrix, never entered.

    A database trigger (migration 0003) also refuses levels from another matrix and a rating that
    differs from the matrix cell.
    """

    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="assessments")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    severity = models.ForeignKey(SeverityLevel, on_delete=models.PROTECT, related_name="+")
    likelihood = models.ForeignKey(LikelihoodLevel, on_delete=models.PROTECT, related_name="+")
    rating = models.ForeignKey(RiskRating, on_delete=models.PROTECT, related_name="+", editable=False)
    rationale = models.TextField(blank=True, validators=cell_length)
    assessed_by = models.CharField(max_length=200, blank=True)
    assessed_at = models.DateField(null=True, blank=True)

    history = HistoricalRecords()
    natural_key_fields = ("hazard__log__name", "hazard__log__standard", "hazard__reference_key", "stage")

    class Meta:
        ordering = ["hazard", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["hazard", "stage"], name="one_assessment_per_stage"),
            models.CheckConstraint(condition=models.Q(stage__in=Stage.values), name="assessment_stage_is_known"),
            *fits_in_a_cell("rationale", prefix="assessment"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.severity} / {self.likelihood} → {self.rating_id and self.rating}"

    def clean(self):
        from hazardlog import risk

        matrix_id = self.hazard.log.matrix_id if self.hazard_id else None
        errors = {}
        if self.severity_id and matrix_id and self.severity.matrix_id != matrix_id:
            errors["severity"] = "Choose a severity from this log's risk matrix."
        if self.likelihood_id and matrix_id and self.likelihood.matrix_id != matrix_id:
            errors["likelihood"] = "Choose a likelihood from this log's risk matrix."
        if errors:
            raise ValidationError(errors)
        if self.severity_id and self.likelihood_id:
            risk.require_complete(self.severity.matrix)

    def save(self, *args, **kwargs):
        from hazardlog import risk

        self.rating = risk.rate(self.severity, self.likelihood)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "rating"}
        super().save(*args, **kwargs)
