from hazardlog.models import RiskCell
from tests import factories


def test_a_fresh_database_has_the_nhs_matrix(matrix):
    assert matrix.is_complete
    assert RiskCell.objects.filter(matrix=matrix).count() == 25


def test_a_hazard_is_rated_from_the_matrix(log):
    hazard = factories.make_hazard(log, initial=("Major", "Low"))
    assert hazard.assessment("initial").rating.number == 3
