"""The risk matrix as data: levels, ratings and the 25 cells that map severity × likelihood to a rating.

The rating is a lookup, never a product of ranks (domain.md §2). `hazardlog.risk` is the one place
that performs the lookup.
"""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from simple_history.models import HistoricalRecords

from .base import HistoryOnlyQuerySet

LEVELS = 5

colour_validator = RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Enter a colour as # and six hex digits, e.g. #E36C0A.")
rank_validators = [MinValueValidator(1), MaxValueValidator(LEVELS)]


class MatrixManager(models.Manager.from_queryset(HistoryOnlyQuerySet)):
    def get_by_natural_key(self, name):
        return self.get(name=name)


class InMatrixManager(models.Manager.from_queryset(HistoryOnlyQuerySet)):
    """Levels and ratings are named in fixtures by their matrix's name and their own name or number."""

    def get_by_natural_key(self, matrix_name, key):
        field = "number" if self.model.__name__ == "RiskRating" else "name"
        return self.get(matrix__name=matrix_name, **{field: key})


class RiskMatrix(models.Model):
    name = models.CharField(max_length=200, unique=True)
    version = models.CharField(max_length=50, blank=True)
    description = models.TextField(blank=True)

    objects = MatrixManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "risk matrices"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()

    def natural_key(self):
        return (self.name,)

    def completeness_problems(self) -> list[str]:
        """What stops this matrix from being used; empty when it is complete."""
        problems = []
        counts = {
            "severity levels": self.severity_levels.count(),
            "likelihood levels": self.likelihood_levels.count(),
            "risk ratings": self.ratings.count(),
            "cells": self.cells.count(),
        }
        expected = {"severity levels": LEVELS, "likelihood levels": LEVELS, "risk ratings": LEVELS, "cells": LEVELS**2}
        for what, count in counts.items():
            if count != expected[what]:
                problems.append(f"has {count} {what}, needs {expected[what]}")
        return problems

    @property
    def is_complete(self) -> bool:
        return not self.completeness_problems()


class _Level(models.Model):
    rank = models.PositiveSmallIntegerField(validators=rank_validators, help_text="1 is the lowest.")
    name = models.CharField(max_length=50)
    definition = models.TextField(blank=True)

    objects = InMatrixManager()

    class Meta:
        abstract = True
        ordering = ["matrix", "rank"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self):
        return (self.matrix.name, self.name)

    natural_key.dependencies = ["hazardlog.riskmatrix"]


class SeverityLevel(_Level):
    matrix = models.ForeignKey(RiskMatrix, on_delete=models.CASCADE, related_name="severity_levels")
    history = HistoricalRecords()

    class Meta(_Level.Meta):
        constraints = [
            models.UniqueConstraint(fields=["matrix", "rank"], name="severity_rank_unique_in_matrix"),
            models.UniqueConstraint(fields=["matrix", "name"], name="severity_name_unique_in_matrix"),
            models.CheckConstraint(condition=models.Q(rank__gte=1, rank__lte=LEVELS), name="severity_rank_1_to_5"),
        ]


class LikelihoodLevel(_Level):
    matrix = models.ForeignKey(RiskMatrix, on_delete=models.CASCADE, related_name="likelihood_levels")
    history = HistoricalRecords()

    class Meta(_Level.Meta):
        constraints = [
            models.UniqueConstraint(fields=["matrix", "rank"], name="likelihood_rank_unique_in_matrix"),
            models.UniqueConstraint(fields=["matrix", "name"], name="likelihood_name_unique_in_matrix"),
            models.CheckConstraint(condition=models.Q(rank__gte=1, rank__lte=LEVELS), name="likelihood_rank_1_to_5"),
        ]


class RiskRating(models.Model):
    matrix = models.ForeignKey(RiskMatrix, on_delete=models.CASCADE, related_name="ratings")
    number = models.PositiveSmallIntegerField(validators=rank_validators)
    label = models.CharField(max_length=100, help_text="Short label, e.g. 'Unacceptable'.")
    acceptability = models.TextField(help_text="What this rating means for the hazard.")
    colour = models.CharField(max_length=7, validators=[colour_validator])

    objects = InMatrixManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["matrix", "number"]
        constraints = [
            models.UniqueConstraint(fields=["matrix", "number"], name="rating_number_unique_in_matrix"),
            models.CheckConstraint(condition=models.Q(number__gte=1, number__lte=LEVELS), name="rating_number_1_to_5"),
        ]

    def __str__(self) -> str:
        return str(self.number)

    def natural_key(self):
        return (self.matrix.name, self.number)

    natural_key.dependencies = ["hazardlog.riskmatrix"]


class CellManager(models.Manager.from_queryset(HistoryOnlyQuerySet)):
    def get_by_natural_key(self, matrix_name, severity_name, likelihood_name):
        return self.get(matrix__name=matrix_name, severity__name=severity_name, likelihood__name=likelihood_name)


class RiskCell(models.Model):
    matrix = models.ForeignKey(RiskMatrix, on_delete=models.CASCADE, related_name="cells")
    severity = models.ForeignKey(SeverityLevel, on_delete=models.CASCADE, related_name="cells")
    likelihood = models.ForeignKey(LikelihoodLevel, on_delete=models.CASCADE, related_name="cells")
    rating = models.ForeignKey(RiskRating, on_delete=models.PROTECT, related_name="cells")

    objects = CellManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["matrix", "-likelihood__rank", "severity__rank"]
        constraints = [
            models.UniqueConstraint(fields=["severity", "likelihood"], name="one_cell_per_severity_likelihood"),
        ]

    def __str__(self) -> str:
        return f"{self.severity} × {self.likelihood} → {self.rating}"

    def natural_key(self):
        return (self.matrix.name, self.severity.name, self.likelihood.name)

    natural_key.dependencies = ["hazardlog.severitylevel", "hazardlog.likelihoodlevel", "hazardlog.riskrating"]

    def save(self, *args, **kwargs):
        from hazardlog import risk

        with transaction.atomic():
            super().save(*args, **kwargs)
            risk.rerate_cell(self)

    def clean(self):
        from django.core.exceptions import ValidationError

        for field in ("severity", "likelihood", "rating"):
            related = getattr(self, field, None)
            if related is not None and self.matrix_id and related.matrix_id != self.matrix_id:
                raise ValidationError({field: "Choose a value from this cell's own matrix."})
