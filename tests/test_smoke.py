from hazardlog.models import RiskCell
from tests import factories


def test_a_fresh_database_has_the_nhs_matrix(matrix):
    assert matrix.is_complete
    assert RiskCell.objects.filter(matrix=matrix).count() == 25


def test_a_hazard_is_rated_from_the_matrix(log):
    hazard = factories.make_hazard(log, initial=("Major", "Low"))
    assert hazard.assessment("initial").rating.number == 3


def test_a_snapshot_holds_the_log_in_natural_order(log):
    from hazardlog.snapshot import build_snapshot, to_json

    for reference in ("H10", "H2"):
        factories.make_hazard(log, reference, initial=("Major", "Low"))
    snapshot = build_snapshot(log)
    assert [h.reference for h in snapshot.hazards] == ["H2", "H10"]
    assert snapshot.hazards[0].initial.rating == 3
    assert snapshot.matrix.rating_for("Major", "Low") == 3
    assert to_json(snapshot)["hazards"][0]["controls"][1]["cause_numbers"] == [1, 2]
