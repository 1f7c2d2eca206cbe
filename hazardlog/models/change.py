"""Who may work on a log, the CSO-approved issues of a log, and the record of every import."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .base import HistoryOnlyQuerySet, NoDeleteManager, NoDeleteModel, NoDeleteQuerySet
from .log import HazardLog


class Role(models.TextChoices):
    CSO = "cso", "Clinical Safety Officer"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    """A user's role in one log. CSO approves issues and manages members; editor edits and imports;
    viewer reads and exports."""

    log = models.ForeignKey(HazardLog, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=6, choices=Role.choices)

    objects = models.Manager.from_queryset(HistoryOnlyQuerySet)()
    history = HistoricalRecords()

    class Meta:
        ordering = ["log", "user"]
        constraints = [
            models.UniqueConstraint(fields=["log", "user"], name="one_membership_per_user_and_log"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_is_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.log}"


class LogIssueImmutable(Exception):
    """Raised on any attempt to change or delete an approved issue of a log."""


class LogIssueQuerySet(NoDeleteQuerySet):
    def update(self, **kwargs):
        raise LogIssueImmutable("An approved issue of a hazard log cannot be changed.")


class LogIssue(NoDeleteModel):
    """An approved version of a hazard log (DCB0129 3.3.2): an immutable snapshot with checksums."""

    log = models.ForeignKey(HazardLog, on_delete=models.PROTECT, related_name="issues")
    number = models.CharField(max_length=20, help_text="For example 1.0, 1.1 or 2.0.")
    meaning = models.TextField(help_text="What this approval means, e.g. 'approved for release 4.2 with CSCR-12'.")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set by the approval service to the moment written into the issued workbook itself.
    approved_at = models.DateTimeField(default=timezone.now, editable=False)
    workbook = models.BinaryField(help_text="The NHS workbook exactly as exported at approval.")
    workbook_sha256 = models.CharField(max_length=64)
    snapshot = models.JSONField(help_text="The log as plain data at approval.")
    snapshot_sha256 = models.CharField(max_length=64)

    objects = NoDeleteManager.from_queryset(LogIssueQuerySet)()

    class Meta:
        ordering = ["log", "approved_at"]
        constraints = [models.UniqueConstraint(fields=["log", "number"], name="issue_number_unique_in_log")]

    def __str__(self) -> str:
        return f"{self.log} issue {self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise LogIssueImmutable("An approved issue of a hazard log cannot be changed.")
        super().save(*args, **kwargs)


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    APPLIED = "applied", "Applied"
    CANCELLED = "cancelled", "Cancelled"
    REFUSED = "refused", "Refused"


class ImportRecord(models.Model):
    """Every workbook import: who, when, which file, what it did.

    Between preview and confirm the upload is kept here (in the database), so confirm works behind
    several app servers.
    """

    log = models.ForeignKey(HazardLog, on_delete=models.PROTECT, related_name="imports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    content = models.BinaryField(blank=True, default=b"", help_text="The upload, kept until confirmed or cancelled.")
    # What the preview read, to apply on confirm without reading the file again (hazardlog.imports): kept
    # with the upload, dropped with it.
    plan = models.BinaryField(
        blank=True, default=b"", help_text="The preview's plan, kept until confirmed or cancelled."
    )
    status = models.CharField(max_length=9, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    # Fingerprint of the log when the preview was made: confirm refuses if the log changed since.
    base_fingerprint = models.CharField(max_length=64, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} → {self.log} ({self.get_status_display()})"
