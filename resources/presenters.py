"""The NHS risk matrix laid out for the guidance: levels and ratings from the most serious down, and the grid."""

from dataclasses import dataclass, field

from hazardlog import nhs_matrix
from hazardlog.models import RiskMatrix
from hazardlog.risk import IncompleteMatrix, MatrixTable


@dataclass
class MatrixGuidance:
    matrix: RiskMatrix | None = None
    severities: list = field(default_factory=list)  # most severe first
    likelihoods: list = field(default_factory=list)  # most likely first
    ratings: list = field(default_factory=list)  # highest first
    columns: list = field(default_factory=list)  # severities, least severe first, as in the NHS template
    rows: list = field(default_factory=list)  # (likelihood, [rating per column]), most likely first
    problem: str = ""

    @classmethod
    def for_nhs_matrix(cls) -> "MatrixGuidance":
        matrix = RiskMatrix.objects.filter(name=nhs_matrix.NAME).first()
        if matrix is None:
            return cls(problem=f"The risk matrix '{nhs_matrix.NAME}' is not in the database.")
        try:
            table = MatrixTable.load(matrix)
        except IncompleteMatrix as error:
            return cls(matrix=matrix, problem=" ".join(error.messages))
        return cls(
            matrix=matrix,
            severities=table.severities[::-1],
            likelihoods=table.likelihoods[::-1],
            ratings=table.ratings[::-1],
            columns=table.severities,
            rows=[
                (likelihood, [table.rating(severity, likelihood) for severity in table.severities])
                for likelihood in table.likelihoods[::-1]
            ],
        )
