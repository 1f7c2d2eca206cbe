"""The NHS risk matrix: every cell, its wording, and re-rating when the matrix or an assessment changes."""

import pytest
from django.core.exceptions import ValidationError

from hazardlog import risk
from hazardlog.models import HazardLog, LikelihoodLevel, RiskAssessment, RiskCell, RiskMatrix, RiskRating, SeverityLevel
from tests import factories

SEVERITIES = ["Minor", "Significant", "Considerable", "Major", "Catastrophic"]
# domain.md §2, typed in again from the DCB0129/DCB0160 Implementation Guidance: likelihood → rating by severity.
NHS_TABLE = {
    "Very high": [3, 4, 4, 5, 5],
    "High": [2, 3, 3, 4, 5],
    "Medium": [2, 2, 3, 3, 4],
    "Low": [1, 2, 2, 3, 4],
    "Very low": [1, 1, 2, 2, 3],
}
NHS_COLOURS = {5: "#E36C0A", 4: "#D99594", 3: "#FABF8F", 2: "#FFFF66", 1: "#9EFEB5"}
CELLS = [
    (severity, likelihood, ratings[column])
    for likelihood, ratings in NHS_TABLE.items()
    for column, severity in enumerate(SEVERITIES)
]


@pytest.mark.parametrize(("severity", "likelihood", "expected"), CELLS)
def test_each_cell_rates_as_the_nhs_table(matrix, severity, likelihood, expected):
    rating = risk.rate(matrix.severity_levels.get(name=severity), matrix.likelihood_levels.get(name=likelihood))
    assert rating.number == expected


def test_the_matrix_table_loads_the_same_25_cells(matrix):
    table = risk.MatrixTable.load(matrix)
    found = {
        (severity.name, likelihood.name): table.rating(severity, likelihood).number
        for severity in table.severities
        for likelihood in table.likelihoods
    }
    assert found == {(severity, likelihood): expected for severity, likelihood, expected in CELLS}


def test_a_fresh_database_has_the_nhs_matrix_after_migrate(matrix):
    # The test database is built by running the migrations, as a new installation is.
    assert RiskMatrix.objects.count() == 1
    assert matrix.is_complete
    assert [level.name for level in matrix.severity_levels.order_by("rank")] == SEVERITIES
    assert [level.name for level in matrix.likelihood_levels.order_by("-rank")] == list(NHS_TABLE)
    assert RiskCell.objects.filter(matrix=matrix).count() == 25


def test_every_level_and_rating_is_defined_and_coloured(matrix):
    for level in [*matrix.severity_levels.all(), *matrix.likelihood_levels.all()]:
        assert level.definition.strip(), f"{level} has no definition"
    ratings = {rating.number: rating for rating in matrix.ratings.all()}
    assert {number: rating.colour.upper() for number, rating in ratings.items()} == NHS_COLOURS
    assert all(rating.acceptability.strip() and rating.label.strip() for rating in ratings.values())
    assert ratings[5].acceptability.startswith("Unacceptable")
    assert ratings[1].acceptability.startswith("Acceptable, no further action")


def incomplete_matrix():
    """Two severities and two likelihoods, ratings 1-5, but only one cell."""
    draft = RiskMatrix.objects.create(name="Trust draft matrix")
    severities = [SeverityLevel.objects.create(matrix=draft, rank=r, name=n) for r, n in ((1, "Low"), (2, "High"))]
    likelihoods = [LikelihoodLevel.objects.create(matrix=draft, rank=r, name=n) for r, n in ((1, "Rare"), (2, "Often"))]
    ratings = [
        RiskRating.objects.create(matrix=draft, number=n, label=str(n), acceptability="-", colour="#FFFFFF")
        for n in range(1, 6)
    ]
    RiskCell.objects.create(matrix=draft, severity=severities[0], likelihood=likelihoods[0], rating=ratings[0])
    return draft, severities, likelihoods


def test_a_log_cannot_use_an_incomplete_matrix(db):
    draft, _, _ = incomplete_matrix()
    log = HazardLog(name="New system", matrix=draft)
    with pytest.raises(ValidationError) as refused:
        log.full_clean()
    assert "matrix" in refused.value.message_dict
    assert "needs 5" in refused.value.message_dict["matrix"][0]
    with pytest.raises(risk.IncompleteMatrix):
        log.save()
    assert not HazardLog.objects.filter(name="New system").exists()


def test_rating_refuses_an_incomplete_matrix(db):
    draft, severities, likelihoods = incomplete_matrix()
    with pytest.raises(risk.IncompleteMatrix, match="cannot be used"):
        risk.rate(severities[1], likelihoods[1])
    with pytest.raises(risk.IncompleteMatrix, match="has 2 severity levels, needs 5"):
        risk.MatrixTable.load(draft)


def test_changing_a_cell_rating_re_rates_the_assessments_in_it(log):
    hazard = factories.make_hazard(log, initial=("Major", "Low"), residual=("Minor", "Low"))
    cell = RiskCell.objects.get(matrix=log.matrix, severity__name="Major", likelihood__name="Low")
    cell.rating = log.matrix.ratings.get(number=4)
    cell.save()

    initial = RiskAssessment.objects.get(hazard=hazard, stage="initial")
    assert initial.rating.number == 4
    assert initial.history.first().history_change_reason == "Re-rated: the risk matrix cell changed"
    assert RiskAssessment.objects.get(hazard=hazard, stage="residual").rating.number == 1


def test_moving_a_log_to_another_matrix_re_rates_its_assessments(log, matrix):
    hazard = factories.make_hazard(log, initial=("Major", "Low"), residual=("Minor", "Very low"))
    trust_matrix = factories.copy_matrix(matrix, "Trust CRMP matrix", {("Major", "Low"): 4, ("Minor", "Very low"): 2})

    log.matrix = trust_matrix
    log.save()

    for stage, number in (("initial", 4), ("residual", 2)):
        assessment = RiskAssessment.objects.select_related("severity", "likelihood", "rating").get(
            hazard=hazard, stage=stage
        )
        assert assessment.severity.matrix == trust_matrix
        assert assessment.likelihood.matrix == trust_matrix
        assert assessment.rating.matrix == trust_matrix
        assert assessment.rating.number == number


def test_changing_severity_or_likelihood_re_rates(log, matrix):
    hazard = factories.make_hazard(log, initial=("Minor", "Very low"))
    assessment = hazard.assessment("initial")
    assert assessment.rating.number == 1

    assessment.severity = matrix.severity_levels.get(name="Catastrophic")
    assessment.save()
    assert RiskAssessment.objects.get(pk=assessment.pk).rating.number == 3

    assessment.likelihood = matrix.likelihood_levels.get(name="Very high")
    assessment.save()
    assert RiskAssessment.objects.get(pk=assessment.pk).rating.number == 5
