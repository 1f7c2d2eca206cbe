from django.db import models, transaction
from simple_history.models import HistoricalRecords

from .base import NoDeleteModel
from .matrix import RiskMatrix


class Standard(models.TextChoices):
    DCB0129 = "DCB0129", "DCB0129 (manufacturer)"
    DCB0160 = "DCB0160", "DCB0160 (deploying organisation)"


class HazardLog(NoDeleteModel):
    """One hazard log per system and standard, with the NHS template's cover-page fields."""

    name = models.CharField("system name", max_length=200, help_text="The health IT system this log is for.")
    standard = models.CharField(max_length=7, choices=Standard.choices, default=Standard.DCB0129)
    clinical_safety_officer = models.CharField("Clinical Safety Officer", max_length=200, blank=True)
    matrix = models.ForeignKey(RiskMatrix, on_delete=models.PROTECT, related_name="logs")

    programme = models.CharField(max_length=200, blank=True)
    sub_programme = models.CharField("sub-programme / project", max_length=200, blank=True)
    programme_director = models.CharField(max_length=200, blank=True)
    owner = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    document_reference = models.CharField("document record ID key", max_length=100, blank=True)
    document_status = models.CharField(max_length=100, blank=True, help_text="For example Draft or Approved.")
    version = models.CharField(max_length=20, blank=True)
    version_date = models.DateField(null=True, blank=True)
    purpose = models.TextField("document purpose", blank=True)
    # From an imported workbook's Version History: [{"table": "amendment" | "reviewer" | "approver",
    # "version", "date", "name", "role", "description"}, …] as the workbook shows them.
    document_history = models.JSONField(default=list, blank=True)
    # The imported workbook's other sheets, kept to be written back: [{"title", "cells": [[row, column,
    # text], …]}, …].
    kept_sheets = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    natural_key_fields = ("name", "standard")

    class Meta:
        ordering = ["name", "standard"]
        constraints = [
            models.UniqueConstraint(fields=["name", "standard"], name="one_log_per_system_and_standard"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.standard})"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.matrix_id and not self.matrix.is_complete:
            raise ValidationError(
                {"matrix": "This risk matrix is incomplete: " + "; ".join(self.matrix.completeness_problems()) + "."}
            )

    def save(self, *args, **kwargs):
        from hazardlog import risk

        with transaction.atomic():
            previous_matrix_id = None
            if self.pk:
                previous_matrix_id = type(self).objects.filter(pk=self.pk).values_list("matrix_id", flat=True).first()
            if self.matrix_id and previous_matrix_id != self.matrix_id:
                risk.require_complete(self.matrix)
            super().save(*args, **kwargs)
            if previous_matrix_id is not None and previous_matrix_id != self.matrix_id:
                risk.rerate_log(self)
