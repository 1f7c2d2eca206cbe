"""The one place a risk rating is looked up: severity × likelihood → the matrix's cell.

`rate` serves single saves; `MatrixTable` loads a whole matrix in three queries for code that rates
many hazards (imports, exports, pages).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from hazardlog.text import normalise_label


class IncompleteMatrix(ValidationError):
    pass


def require_complete(matrix) -> None:
    problems = matrix.completeness_problems()
    if problems:
        raise IncompleteMatrix(f"The risk matrix '{matrix}' cannot be used: it " + "; ".join(problems) + ".")


def rate(severity, likelihood):
    """The RiskRating of the cell at severity × likelihood. Both levels must belong to one matrix."""
    from hazardlog.models import RiskCell

    if severity.matrix_id != likelihood.matrix_id:
        raise ValidationError("Severity and likelihood come from different risk matrices.")
    cell = RiskCell.objects.select_related("rating").filter(severity=severity, likelihood=likelihood).first()
    if cell is None:
        require_complete(severity.matrix)
        raise IncompleteMatrix(f"The risk matrix has no cell for {severity} × {likelihood}.")
    return cell.rating


@dataclass
class MatrixTable:
    """A complete matrix in memory: levels by rank and by normalised name, and the cell lookup."""

    matrix: object
    severities: list = field(default_factory=list)  # ordered by rank, lowest first
    likelihoods: list = field(default_factory=list)
    ratings: list = field(default_factory=list)
    _cells: dict = field(default_factory=dict)  # (severity_id, likelihood_id) -> RiskRating
    _label_index: dict = field(default_factory=dict)  # "severities"/"likelihoods" -> {normalised name: level}

    @classmethod
    def load(cls, matrix) -> "MatrixTable":
        require_complete(matrix)
        table = cls(
            matrix=matrix,
            severities=list(matrix.severity_levels.order_by("rank")),
            likelihoods=list(matrix.likelihood_levels.order_by("rank")),
            ratings=list(matrix.ratings.order_by("number")),
        )
        by_id = {r.id: r for r in table.ratings}
        for severity_id, likelihood_id, rating_id in matrix.cells.values_list(
            "severity_id", "likelihood_id", "rating_id"
        ):
            table._cells[(severity_id, likelihood_id)] = by_id[rating_id]
        return table

    def rating(self, severity, likelihood):
        return self._cells[(severity.id, likelihood.id)]

    def severity_named(self, name: str):
        return self._by_label("severities", name)

    def likelihood_named(self, name: str):
        return self._by_label("likelihoods", name)

    def _by_label(self, which: str, name: str):
        """The level of `which` whose name matches `name` as labels compare (None if none does); an
        import looks up tens of thousands, so each side's names are indexed once."""
        index = self._label_index.get(which)
        if index is None:
            index = self._label_index[which] = {}
            for level in getattr(self, which):  # the lowest rank wins, should two names compare equal
                index.setdefault(normalise_label(level.name), level)
        return index.get(normalise_label(name))

    def rating_numbered(self, number: int):
        return next((r for r in self.ratings if r.number == number), None)


def rerate_log(log) -> int:
    """Move every assessment of a log onto the log's (new) matrix by rank, and re-rate it.

    Called when a log changes matrix; each assessment is saved one by one so history records it.
    """
    from hazardlog.models import RiskAssessment

    table = MatrixTable.load(log.matrix)
    moved = 0
    with transaction.atomic():
        for assessment in RiskAssessment.objects.filter(hazard__log=log).select_related("severity", "likelihood"):
            assessment.severity = table.severities[assessment.severity.rank - 1]
            assessment.likelihood = table.likelihoods[assessment.likelihood.rank - 1]
            assessment._change_reason = f"Re-rated: the log now uses the risk matrix '{log.matrix}'"
            assessment.save()
            moved += 1
    return moved


def rerate_cell(cell) -> int:
    """Re-rate the assessments that sit in a cell whose rating was changed."""
    from hazardlog.models import RiskAssessment

    changed = 0
    for assessment in RiskAssessment.objects.filter(severity=cell.severity, likelihood=cell.likelihood).exclude(
        rating=cell.rating
    ):
        assessment._change_reason = "Re-rated: the risk matrix cell changed"
        assessment.save()
        changed += 1
    return changed
